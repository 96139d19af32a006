"""`marea challenge validate`: check bundles before anything touches the database.

Meant for organisers' terminals and CI: one `file:line:col: message` line per
error (editors turn these into links), the fix on the next line, and exit code 1
if any bundle is invalid.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from app.bundles.errors import BundleError
from app.bundles.validate import ValidationReport, validate_bundle
from app.cli.language import LANG_OPTION, Language, print_error
from app.core.settings import get_settings
from app.i18n import use_language
from app.i18n.speech import gettext as _
from app.i18n.speech import say

HIDDEN_HELP = (
    "Folder or zip of the bundle's hidden files (answers, test inputs, scoring program), "
    "kept apart from the bundle with the same relative paths. One bundle only."
)

challenge_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@challenge_app.callback()
def _group() -> None:
    """Validate and load challenge bundles."""


def _where(report: ValidationReport, error: BundleError) -> str:
    """Prefix the bundle (or the hidden files) so the path opens from where the command was run."""
    source = report.source
    if error.in_hidden and report.hidden_source is not None:
        source = report.hidden_source
    if source.is_dir():
        return str(source / error.where())
    if error.file == source.name:
        return str(source) + error.where().removeprefix(error.file)
    return f"{source}!/{error.where()}"


@challenge_app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="Bundle folders or .zip files."),
    hidden: Path | None = typer.Option(None, "--hidden", help=HIDDEN_HELP),
    lang: Language = LANG_OPTION,
) -> None:
    """Check bundles; print every error with its position and how to fix it.

    No database is needed; the runner images allowed are this machine's settings
    (MAREA_RUNNER_IMAGE and MAREA_ALLOWED_RUNNER_IMAGES), and so are its compute pools
    (MAREA_POOLS).
    """
    out = Console(highlight=False, soft_wrap=True)
    if hidden is not None and len(paths) != 1:
        out.print("[red]error[/red]: --hidden goes with exactly one bundle")
        raise typer.Exit(code=2)
    settings = get_settings()
    images = settings.runner_images()
    invalid = 0
    for path in paths:
        with validate_bundle(path, hidden=hidden, images=images, pools=settings.pools) as report:
            if report.ok and report.challenge is not None:
                out.print(
                    f"[green]OK[/green] {escape(report.challenge.slug)} ({escape(str(path))})"
                )
                continue
            invalid += 1
            with use_language(lang.value):
                for error in report.errors:
                    print_error(out, _where(report, error), error)
            count = len(report.errors)
            out.print(
                f"[red]INVALID[/red] {escape(str(path))}: {count} error{'s' if count > 1 else ''}"
            )
    raise typer.Exit(code=1 if invalid else 0)


import_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
challenge_app.add_typer(import_app, name="import", help="Import a bundle of another platform.")


@import_app.command("codabench")
def import_codabench_command(
    source: Path = typer.Argument(..., help="A Codabench or CodaLab bundle: folder or .zip."),
    output: Path = typer.Option(..., "-o", "--output", help="The new folder to write."),
    lang: Language = LANG_OPTION,
) -> None:
    """Write a format-1 bundle from a Codabench (v2) or CodaLab (v1.5) competition bundle.

    What cannot be mapped is printed and written to OUTPUT/IMPORT.md; the placeholders
    written (Italian texts, licence) keep `marea challenge validate` failing until filled.
    """
    from app.bundles.codabench import ImportRefused, import_codabench

    out = Console(highlight=False, soft_wrap=True)
    with use_language(lang.value):
        try:
            result = import_codabench(source, output)
        except ImportRefused as refused:
            for error in refused.errors:
                where = (
                    str(source / error.where()) if source.is_dir() else f"{source}!/{error.where()}"
                )
                print_error(out, where, error)
            out.print(f"[red]REFUSED[/red] {escape(str(source))}")
            raise typer.Exit(code=1) from None
        todo = _("to do:")
        for item in result.unmapped:
            out.print(f"[bold]{escape(item.where)}[/bold]: {escape(say(item.what))}")
            out.print(f"  {escape(todo)} {escape(say(item.todo))}")
        out.print(
            f"[green]IMPORTED[/green] {escape(result.slug)} -> {escape(str(output))} "
            f"({len(result.unmapped)} items in {escape(str(output / 'IMPORT.md'))})"
        )


if __name__ == "__main__":
    challenge_app()
