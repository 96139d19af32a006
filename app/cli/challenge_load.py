"""`marea challenge load PATH...` and `marea challenge catalog`: import or update bundles."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn

from app.bundles.catalog import GenerationFailed, prepare_catalog
from app.bundles.load import load_into_db
from app.bundles.validate import BundleInvalid
from app.cli.challenge import HIDDEN_HELP
from app.cli.event import print_errors
from app.core.redis import redis_client
from app.core.refusal import Refusal
from app.core.runtime import Runtime, open_runtime
from app.core.settings import get_settings
from app.events.load import EventInvalid, load_event
from app.events.schema import EVENT_FILE
from app.live import announce


def _load_all(runtime: Runtime, bundles: list[tuple[Path, Path | None]], publish: bool) -> bool:
    """Load each bundle; print one line per bundle, every error located; True if all loaded."""
    console = Console(stderr=True)
    failed = False
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} files"),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        for path, hidden in bundles:
            task = bar.add_task(f"loading {path}", total=None)
            try:
                outcome = load_into_db(
                    runtime,
                    path,
                    hidden=hidden,
                    publish=True if publish else None,
                    progress=lambda _p, task=task: bar.advance(task),  # type: ignore[misc]
                )
            except BundleInvalid as exc:
                failed = True
                for error in exc.report.errors:
                    where = f"{hidden}: {error.where()}" if error.in_hidden else error.where()
                    console.print(
                        f"[red]{escape(where)}[/red]: {escape(error.message)}\n"
                        f"  fix: {escape(error.hint)}"
                    )
                continue
            finally:
                bar.remove_task(task)
            if isinstance(outcome, Refusal):
                failed = True
                console.print(f"[red]{escape(str(path))}[/red]: {escape(outcome.message)}")
                continue
            state = "published" if outcome.published else "draft"
            typer.echo(
                f"{outcome.action:9} {outcome.slug} (version {outcome.version}, {outcome.files} files, {state})"
            )
    return not failed


def load(
    paths: list[Path] = typer.Argument(..., help="Bundle folders or zips."),
    hidden: Path | None = typer.Option(None, "--hidden", help=HIDDEN_HELP),
    publish: bool = typer.Option(
        False, "--publish", help="Publish the challenges (new ones are drafts otherwise)."
    ),
) -> None:
    """Import or update challenge bundles (idempotent: loading twice changes nothing)."""
    if hidden is not None and len(paths) != 1:
        Console(stderr=True).print("[red]error[/red]: --hidden goes with exactly one bundle")
        raise typer.Exit(2)
    runtime = announced(open_runtime(get_settings()))
    if not _load_all(runtime, [(path, hidden) for path in paths], publish):
        raise typer.Exit(1)


def catalog(
    folder: Path | None = typer.Option(
        None, "--folder", help="The catalog folder; default: the challenges_dir setting."
    ),
    publish: bool = typer.Option(
        False, "--publish", help="Publish the challenges (new ones are drafts otherwise)."
    ),
) -> None:
    """Load the demo catalog, generating its hidden files into the data folder first.

    Generated challenges get judged data and answers from a secret seed, made once
    per site and kept under MAREA_DATA_DIR (never in the repository); loading the
    catalog again reuses them, so nothing changes.
    """
    settings = get_settings()
    console = Console(stderr=True)
    try:
        entries = prepare_catalog(
            folder or settings.challenges_dir, settings.data_dir, lambda m: console.print(m)
        )
    except GenerationFailed as exc:
        console.print(f"[red]error[/red]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    if not entries:
        console.print(f"[red]error[/red]: no bundle in {folder or settings.challenges_dir}")
        raise typer.Exit(1)
    runtime = announced(open_runtime(settings))
    if not _load_all(runtime, [(e.bundle, e.hidden) for e in entries], publish):
        raise typer.Exit(1)
    # The catalog's events list its challenges, so they load once the challenges are in.
    for event_yaml in sorted((folder or settings.challenges_dir).glob(f"*/{EVENT_FILE}")):
        try:
            loaded = load_event(runtime, event_yaml.parent, publish=True if publish else None)
        except EventInvalid as exc:
            print_errors(console, exc.report.root, exc.report.errors)
            raise typer.Exit(1) from None
        state = "published" if loaded.published else "draft"
        typer.echo(
            f"{loaded.action:9} event {loaded.slug} ({loaded.challenges} challenges, {state})"
        )


def register_load(app: typer.Typer) -> None:
    app.command("load")(load)
    app.command("catalog")(catalog)


def announced(runtime: Runtime) -> Runtime:
    """A loaded bundle changes what the site shows: its commit tells every web process
    (app.live.announce), as an organiser's upload on the site does."""
    announce.install(runtime.engine, redis_client(runtime.settings))
    return runtime
