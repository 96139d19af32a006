"""`marea worker`: judge submissions on this machine."""

from __future__ import annotations

import logging

import typer

from app.core.settings import get_settings


def worker(
    processes: int = typer.Option(
        0,
        "--processes",
        "-n",
        help="Parallel sandboxes on this host (0: MAREA_SANDBOXES_PER_WORKER).",
    ),
) -> None:
    """Run judging workers plus the sweeper that recovers stuck submissions."""
    from app.queue.worker import Supervisor

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    count = processes or settings.sandboxes_per_worker
    typer.echo(
        f"marea worker: {count} sandbox slot(s), queue {settings.queue_name!r} at {settings.redis_url}"
    )
    Supervisor(settings, count).run()
