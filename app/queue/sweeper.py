"""The sweeper: the database is the truth, and nothing stays stuck.

Runs on every worker host every few seconds. It recovers submissions whose
worker stopped sending heartbeats (SIGKILL, lost machine), re-dispatches
submissions whose job vanished from Redis (flushed or restarted), and fills
free queue slots fairly; phase reminders that are due are written, and mails whose retry is due
are queued again. Every transition is a guarded UPDATE, so several
sweepers on several hosts never do the same thing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from rq import Queue
from sqlalchemy.engine import Engine

from app.core.settings import Settings
from app.queue.dispatch import dispatch
from app.queue.jobs import SUBMISSION_JOBS
from app.queue.mail_jobs import sweep_mail, sweep_reminders
from app.queue.rescore_jobs import sweep_rescores
from app.queue.runner import Swept, sweep_kind

log = logging.getLogger(__name__)


@dataclass
class SweepReport(Swept):
    """The submissions a sweep moved; rescore items are only logged."""

    dispatched: list[int] = field(default_factory=list)


def sweep(engine: Engine, client: redis.Redis, queue: Queue, settings: Settings) -> SweepReport:
    """Submissions first (dead runs, lost jobs, free slots), then rescore items the same way."""
    report = SweepReport()
    try:
        sweep_kind(engine, client, settings, SUBMISSION_JOBS, report)
        report.dispatched = dispatch(
            engine, queue, depth=settings.dispatch_depth, team_cap=settings.team_concurrency
        )
        sweep_rescores(engine, client, settings)
        sweep_reminders(engine, settings)
        sweep_mail(engine, client, settings)
    except redis.RedisError as exc:
        log.warning("sweep interrupted, Redis unreachable: %s", exc)
    if report.recovered or report.gave_up or report.lost_jobs:
        log.info("sweep: %s", report)
    return report
