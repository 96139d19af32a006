"""`marea judge BUNDLE SUBMISSION`: the real judging pipeline, locally, no web, no database.

For organisers testing a bundle (does the baseline score? does a broken
submission fail with a clear message?) and for participants testing a
submission before they spend a daily slot on it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

import sandbox
from app.bundles.validate import BundleInvalid, load_bundle
from app.core.settings import get_settings
from app.queue.judge_request import FileSource, build_request, materialise
from judging import judge as run_judge

BAD_ARGUMENTS = 2
INTERNAL_ERROR = 1


def judge(
    bundle: Path = typer.Argument(..., help="The challenge bundle (folder or zip)."),
    submission: Path = typer.Argument(
        ..., help="A predictions file, or a program: an archive (zip, tar.gz) or a folder."
    ),
    phase: str | None = typer.Option(
        None, "--phase", help="Phase name (default: the first phase)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    hidden: Path | None = typer.Option(
        None, "--hidden", help="Folder or zip of the bundle's hidden files, kept apart from it."
    ),
) -> None:
    """Judge SUBMISSION against BUNDLE exactly as the platform would."""
    err = Console(stderr=True)
    if not submission.exists():
        err.print(
            f"[red]error[/red]: {submission} does not exist; give a predictions file, an archive or a folder."
        )
        raise typer.Exit(BAD_ARGUMENTS)
    settings = get_settings()
    work = Path(tempfile.mkdtemp(prefix="marea-judge-"))
    try:
        if submission.is_dir():  # a program folder is judged as the zip a team would upload
            submission = Path(shutil.make_archive(str(work / "submission"), "zip", submission))
        try:
            loaded = load_bundle(bundle, hidden=hidden, images=settings.runner_images())
        except BundleInvalid as exc:
            for error in exc.report.errors:
                err.print(f"[red]{error.where()}[/red]: {error.message}\n  fix: {error.hint}")
            raise typer.Exit(BAD_ARGUMENTS) from None
        with loaded:
            config = loaded.challenge.model_dump(mode="json")
            files = [FileSource(f.role, f.path, loaded.path_of(f)) for f in loaded.files]
            dirs = materialise(files, work / "challenge")
        try:
            request = build_request(
                config, phase, submission.resolve(), dirs, settings.runner_image
            )
        except KeyError as exc:
            err.print(f"[red]error[/red]: {exc.args[0]}")
            raise typer.Exit(BAD_ARGUMENTS) from None
        try:
            with err.status(f"judging {submission.name} ({request.kind}) in the sandbox..."):
                result = run_judge(request, workdir=work / "judge")
        except sandbox.SandboxError as exc:
            err.print(f"[red]error[/red]: {exc}")
            raise typer.Exit(INTERNAL_ERROR) from None
        data = result.to_json()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            _print_human(data, config)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _print_human(data: dict[str, Any], config: dict[str, Any]) -> None:
    out = Console()
    if data["status"] == "scored":
        out.print(f"[green]scored[/green] in {data['duration_s']:.1f} s")
        board = config.get("leaderboard") or {}
        precision = {c["key"]: c.get("precision", 4) for c in board.get("columns", [])}
        for split in ("public", "private"):
            values = data["scores"].get(split, {})
            shown = ", ".join(f"{k} = {v:.{precision.get(k, 4)}f}" for k, v in values.items())
            out.print(f"  {split:8} {shown}")
    else:
        out.print(f"[red]failed[/red] ({data['failure']}) in {data['duration_s']:.1f} s")
        out.print(f"  {data['message']}")
    for audience, streams in data["logs"].items():
        for name, text in streams.items():
            if text.strip():
                out.rule(f"{audience} {name}")
                out.print(text.rstrip(), markup=False, highlight=False)
