"""What follows an accepted submission: live pages are told, the dispatcher is woken."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from app.core.redis import redis_client
from app.core.settings import Settings
from app.live.notify import notify_status
from app.queue.connection import judge_queue
from app.queue.dispatch import dispatch

log = logging.getLogger(__name__)


def submitted(engine: Engine, settings: Settings, submission_id: int) -> None:
    """Best effort both: the database holds the submission, and the sweeper dispatches
    whatever waits, so a Redis hiccup here loses nothing."""
    client = redis_client(settings)
    notify_status(engine, client, submission_id)  # the queued event for live pages
    try:
        dispatch(
            engine,
            judge_queue(settings, client),
            depth=settings.dispatch_depth,
            team_cap=settings.team_concurrency,
        )
    except Exception as exc:
        log.warning("dispatch after submission %s failed: %s", submission_id, exc)
