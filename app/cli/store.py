"""`marea store copy SOURCE DEST`: move a site's files between a folder and an S3 bucket."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from app.core.settings import StoreUrlError, get_settings
from app.core.store import Store, open_store
from app.core.store_copy import copy_store, count

store_app = typer.Typer(no_args_is_help=True)


def _open(url: str) -> Store:
    """The store `url` names, with this site's S3 endpoint and credentials (MAREA_S3_*)."""
    settings = get_settings().model_copy(update={"store_url": url})
    try:
        settings.store_location()
    except StoreUrlError as exc:
        typer.echo(f"{url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    return open_store(settings)


@store_app.command("copy")
def copy(
    source: str = typer.Argument(
        ..., help="The store to read: file:///path or s3://bucket/prefix."
    ),
    dest: str = typer.Argument(..., help="The store to fill: file:///path or s3://bucket/prefix."),
    verify: bool = typer.Option(
        False, "--verify", help="Re-read every object from DEST and check its sha256 after."
    ),
) -> None:
    """Copy every object of SOURCE into DEST; run it again to resume (copied objects are
    skipped). Then point MAREA_STORE_URL at DEST on every host."""
    console = Console(stderr=True)
    src, dst = _open(source), _open(dest)
    total = count(src)
    with Progress(
        TextColumn("copying"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("copy", total=total)
        report = copy_store(src, dst, verify=verify, progress=lambda _sha: bar.advance(task))
    typer.echo(
        f"{report.copied} copied ({report.bytes_copied} bytes), "
        f"{report.already_there} already in {dest}"
        + (", every object verified" if verify and report.ok else "")
    )
    for sha in report.corrupt:
        typer.echo(
            f"corrupt in {source}: {sha} (its bytes no longer match their name; restore it "
            "from a backup, then run the copy again)",
            err=True,
        )
    for sha in report.unverified:
        typer.echo(f"not readable back from {dest}: {sha} (run the copy again)", err=True)
    if not report.ok:
        raise typer.Exit(1)
