"""`marea worker`: judge submissions on this machine."""

from __future__ import annotations

import logging
import re

import typer

from app.core.settings import DEFAULT_POOL, POOL_NAME, get_settings


def worker(
    processes: int = typer.Option(
        0,
        "--processes",
        "-n",
        help="Parallel sandboxes on this host (0: MAREA_SANDBOXES_PER_WORKER).",
    ),
    pool: list[str] = typer.Option(
        [],
        "--pool",
        help="A compute pool this host serves; repeat for several (default: default).",
    ),
) -> None:
    """Run judging workers plus the sweeper that recovers stuck submissions."""
    from app.queue.worker import Supervisor

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    count = processes or settings.sandboxes_per_worker
    pools = tuple(pool) or (DEFAULT_POOL,)
    for name in pools:
        if not re.fullmatch(POOL_NAME, name):
            typer.echo(f"marea worker: {name!r} is not a pool name (a-z, 0-9 and '-')", err=True)
            raise typer.Exit(code=2)
    typer.echo(
        f"marea worker: {count} sandbox slot(s), pool(s) {', '.join(pools)} "
        f"(queue {settings.queue_name!r}) at {settings.redis_url}"
    )
    Supervisor(settings, count, pools).run()
