"""The sweeper: the database is the truth, and nothing stays stuck.

Runs on every worker host every few seconds. It recovers submissions whose
worker stopped sending heartbeats (SIGKILL, lost machine), re-dispatches
submissions whose job vanished from Redis (flushed or restarted), and fills
free queue slots fairly. Every transition is a guarded UPDATE, so several
sweepers on several hosts never do the same thing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from rq import Queue
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.settings import Settings
from app.live.notify import notify_status
from app.queue.dispatch import dispatch
from app.queue.job_state import job_is_lost
from app.queue.rescore_jobs import sweep_rescores
from app.submissions.lifecycle import fail_internal, requeue
from app.submissions.models import Status, Submission

log = logging.getLogger(__name__)

GAVE_UP = (
    "Marea could not judge this submission after {attempts} attempts because of a problem on our "
    "side, not in your submission. It does not count against your daily quota; please submit it "
    "again, and tell the organisers if this repeats."
)


@dataclass
class SweepReport:
    recovered: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    lost_jobs: list[int] = field(default_factory=list)
    dispatched: list[int] = field(default_factory=list)


def recover_dead_runs(
    engine: Engine, client: redis.Redis, settings: Settings, report: SweepReport
) -> None:
    cutoff = utcnow() - timedelta(seconds=settings.heartbeat_timeout_s)
    with Session(engine) as session:
        stale = session.exec(
            select(Submission.id, Submission.attempts).where(
                col(Submission.status) == Status.running, col(Submission.heartbeat_at) < cutoff
            )
        ).all()
    for submission_id, attempts in stale:
        assert submission_id is not None
        with Session(engine) as session:
            if attempts >= settings.max_attempts:
                changed = fail_internal(
                    session,
                    submission_id,
                    expect=Status.running,
                    message=GAVE_UP.format(attempts=attempts),
                )
                bucket = report.gave_up
            else:
                changed = requeue(
                    session,
                    submission_id,
                    expect=Status.running,
                    attempt=attempts,
                    reason="the worker judging it stopped answering; judging it again",
                )
                bucket = report.recovered
            session.commit()
        if changed:
            bucket.append(submission_id)
            notify_status(engine, client, submission_id)


def recover_lost_jobs(
    engine: Engine, client: redis.Redis, settings: Settings, report: SweepReport
) -> None:
    """Queued submissions whose job no worker will run go back to the waiting line."""
    with Session(engine) as session:
        handed_over = session.exec(
            select(Submission.id, Submission.job_id).where(
                col(Submission.status) == Status.queued, col(Submission.job_id).is_not(None)
            )
        ).all()
    for submission_id, job_id in handed_over:
        assert submission_id is not None and job_id is not None
        if not job_is_lost(client, job_id, settings.heartbeat_timeout_s):
            continue
        with Session(engine) as session:
            result = session.execute(
                update(Submission)
                .where(
                    col(Submission.id) == submission_id,
                    col(Submission.job_id) == job_id,
                    col(Submission.status) == Status.queued,
                )
                .values(job_id=None)
            )
            session.commit()
        if result.rowcount:  # type: ignore[attr-defined]
            report.lost_jobs.append(submission_id)


def sweep(engine: Engine, client: redis.Redis, queue: Queue, settings: Settings) -> SweepReport:
    report = SweepReport()
    try:
        recover_dead_runs(engine, client, settings, report)
        recover_lost_jobs(engine, client, settings, report)
        report.dispatched = dispatch(
            engine, queue, depth=settings.dispatch_depth, team_cap=settings.team_concurrency
        )
        sweep_rescores(engine, client, settings)
    except redis.RedisError as exc:
        log.warning("sweep interrupted, Redis unreachable: %s", exc)
    if report.recovered or report.gave_up or report.lost_jobs:
        log.info("sweep: %s", report)
    return report
