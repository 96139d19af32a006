"""`marea sandbox ...`: build the runner image and check that sandboxed runs work here."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

import sandbox
from app.core.settings import get_settings
from sandbox import DEFAULT_MIRROR

sandbox_app = typer.Typer(no_args_is_help=True)

SMOKE_COMMAND = (
    "python3",
    "-c",
    "import os, numpy, pandas, scipy, sklearn; "
    "open('/output/ok', 'w').write('ok'); "
    "print(f'uid {os.getuid()}, numpy {numpy.__version__}, sklearn {sklearn.__version__}')",
)


def _fail(error: sandbox.SandboxError) -> typer.Exit:
    """An operator's terminal: the engine's own words (kept off pages) help here."""
    typer.secho(f"error ({error.category}): {error.message}", err=True, fg=typer.colors.RED)
    if error.detail:
        typer.secho(f"  {error.detail}", err=True)
    return typer.Exit(1)


@sandbox_app.command("build-image")
def build_image(
    image: str = typer.Option("", help="Image name; default: the runner_image setting."),
    cache_dir: Path = typer.Option(
        None, help="Where the Debian root filesystem is cached; default: <data_dir>/cache/sandbox."
    ),
    mirror: str = typer.Option(DEFAULT_MIRROR, help="Debian mirror."),
    force: bool = typer.Option(False, help="Rebuild even when the image matches the recipe."),
) -> None:
    """Build the runner image (Python 3, numpy, pandas, scipy, scikit-learn); skip if current."""
    settings = get_settings()
    try:
        outcome = sandbox.build_image(
            cache_dir or settings.data_dir / "cache" / "sandbox",
            image=image or settings.runner_image,
            mirror=mirror,
            force=force,
            progress=typer.echo,
        )
    except sandbox.SandboxError as error:
        raise _fail(error) from error
    verb = "built" if outcome.built else "already current:"
    typer.secho(f"{verb} {outcome.image} (recipe {outcome.recipe[:12]})", fg=typer.colors.GREEN)


@sandbox_app.command()
def check(
    image: str = typer.Option("", help="Image to try; default: the runner_image setting."),
) -> None:
    """Check the engine and the image, then run one tiny program in the sandbox."""
    image = image or get_settings().runner_image
    ok, message = sandbox.engine_healthy()
    typer.echo(f"engine: {message}")
    if not ok:
        try:
            sandbox.connect()
        except sandbox.SandboxError as error:
            raise _fail(error) from error
        raise typer.Exit(1)
    current = sandbox.image_is_current(sandbox.connect(), image)
    typer.echo(f"image: {image} {'matches' if current else 'does NOT match'} the recipe")
    try:
        result = sandbox.run(sandbox.RunSpec(image=image, command=SMOKE_COMMAND))
    except sandbox.SandboxError as error:
        raise _fail(error) from error
    shutil.rmtree(result.output_path, ignore_errors=True)
    typer.echo(
        f"run: exit {result.exit_code} in {result.duration_s:.2f} s: {result.stdout.strip()}"
    )
    if result.exit_code != 0 or result.output_files != ["ok"]:
        typer.secho(
            f"the smoke run failed; stderr:\n{result.stderr}", err=True, fg=typer.colors.RED
        )
        raise typer.Exit(1)
    typer.secho("sandbox works", fg=typer.colors.GREEN)


@sandbox_app.command()
def cleanup(
    max_age: float = typer.Option(3600.0, help="Remove sandbox containers older than this (s)."),
) -> None:
    """Remove sandbox containers a killed worker left behind."""
    try:
        removed = sandbox.cleanup_stale(max_age)
    except sandbox.SandboxError as error:
        raise _fail(error) from error
    typer.echo(f"removed {removed} stale sandbox container(s)")
