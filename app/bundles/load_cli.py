"""`marea challenge load PATH...`: import or update bundles in the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from app.bundles.load import LoadRefused, load_into_db
from app.bundles.validate import BundleInvalid
from app.runtime import open_runtime
from app.settings import get_settings


def load(
    paths: list[Path] = typer.Argument(..., help="Bundle folders or zips."),
    publish: bool = typer.Option(
        False, "--publish", help="Publish the challenges (new ones are drafts otherwise)."
    ),
) -> None:
    """Import or update challenge bundles (idempotent: loading twice changes nothing)."""
    console = Console(stderr=True)
    runtime = open_runtime(get_settings())
    failed = False
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} files"),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        for path in paths:
            task = bar.add_task(f"loading {path}", total=None)
            try:
                outcome = load_into_db(
                    runtime,
                    path,
                    publish=True if publish else None,
                    progress=lambda _p, task=task: bar.advance(task),  # type: ignore[misc]
                )
            except BundleInvalid as exc:
                failed = True
                for error in exc.report.errors:
                    console.print(
                        f"[red]{error.where()}[/red]: {error.message}\n  fix: {error.hint}"
                    )
                continue
            finally:
                bar.remove_task(task)
            if isinstance(outcome, LoadRefused):
                failed = True
                console.print(f"[red]{outcome.slug}[/red]: {outcome.message}")
                continue
            state = "published" if outcome.published else "draft"
            typer.echo(
                f"{outcome.action:9} {outcome.slug} (version {outcome.version}, {outcome.files} files, {state})"
            )
    if failed:
        raise typer.Exit(1)


def register_load(app: typer.Typer) -> None:
    app.command("load")(load)
