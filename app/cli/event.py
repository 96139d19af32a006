"""`marea event validate|load`: check and import event folders (event.yaml and its files)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from app.bundles.errors import BundleError
from app.cli.language import LANG_OPTION, Language, print_error
from app.core.runtime import open_runtime
from app.core.settings import get_settings
from app.events.load import EventInvalid, load_event
from app.events.validate import validate_event
from app.i18n import use_language

event_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@event_app.callback()
def _group() -> None:
    """Validate and load events."""


def print_errors(out: Console, root: Path, errors: list[BundleError]) -> None:
    """One `path:line:col: message` line per error (editors make them links), the fix below."""
    for error in errors:
        print_error(out, str(root / error.where()), error)


@event_app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="Event folders (or their event.yaml)."),
    lang: Language = LANG_OPTION,
) -> None:
    """Check events; print every error with its position and how to fix it (no database)."""
    out = Console(highlight=False, soft_wrap=True)
    invalid = 0
    for path in paths:
        report = validate_event(path)
        if report.ok and report.event is not None:
            out.print(f"[green]OK[/green] {escape(report.event.slug)} ({escape(str(path))})")
            continue
        invalid += 1
        with use_language(lang.value):
            print_errors(out, report.root, report.errors)
        count = len(report.errors)
        out.print(
            f"[red]INVALID[/red] {escape(str(path))}: {count} error{'s' if count > 1 else ''}"
        )
    raise typer.Exit(code=1 if invalid else 0)


@event_app.command()
def load(
    paths: list[Path] = typer.Argument(..., help="Event folders (or their event.yaml)."),
    publish: bool = typer.Option(
        False, "--publish", help="Publish the events (new ones are drafts otherwise)."
    ),
) -> None:
    """Import or update events; their challenges must be loaded first (idempotent)."""
    out = Console(highlight=False, soft_wrap=True)
    runtime = open_runtime(get_settings())
    failed = False
    for path in paths:
        try:
            loaded = load_event(runtime, path, publish=True if publish else None)
        except EventInvalid as exc:
            failed = True
            print_errors(out, exc.report.root, exc.report.errors)
            continue
        state = "published" if loaded.published else "draft"
        out.print(f"{loaded.action:9} {loaded.slug} ({loaded.challenges} challenges, {state})")
    if failed:
        raise typer.Exit(1)
