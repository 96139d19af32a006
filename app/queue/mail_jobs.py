"""Mail through RQ: the job that sends one attempt, waking it after a commit, and the sweep.

The outbox row is the truth (app/mail/service.py); a job only carries its id and the
attempt number it was queued for, so a duplicate or late job finds the row moved on
and does nothing. A page that wrote mails calls `wake` after its commit (best effort:
with Redis away the sweeper sends them later). The worker host's supervisor runs
`sweep_mail` every few seconds: mails whose back-off is over are queued again, and an
attempt a killed worker left `sending` counts as failed. RQ's own retries are not
used: they need RQ's scheduler, and the back-off lives in `next_attempt_at`, where
/admin/outbox shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import make_engine
from app.core.redis import redis_client
from app.core.runtime import Runtime
from app.core.settings import Settings, get_settings
from app.mail.models import OutboxMail
from app.mail.service import deliver, due_mails, recover_stalled
from app.notifications.senders import phase_reminders, submission_result
from app.queue.connection import MAIL_JOB_FUNCTION, mail_queue

log = logging.getLogger(__name__)

WAITING = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED})


def send_mail(mail_id: int, attempt: int) -> str:
    """Entry point run by the mail worker (`MAIL_JOB_FUNCTION`)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        return deliver(engine, settings, mail_id, attempt).outcome
    finally:
        engine.dispose()


def job_id(queue_name: str, mail_id: int, attempt: int) -> str:
    """Named after the site's mail queue too: mail ids of two sites sharing a Redis (or of two
    test databases) start at 1 alike, and a waiting job of one must not stand for the other's."""
    return f"{queue_name}-{mail_id}-{attempt}"


def _enqueue(queue: Queue, settings: Settings, mail_id: int, attempt: int) -> bool:
    """Queues the attempt unless a job for it is already waiting or running."""
    name = job_id(queue.name, mail_id, attempt)
    try:
        status = Job.fetch(name, connection=queue.connection).get_status(refresh=False)
    except Exception:  # no such job (or one RQ cannot read): queue a fresh one
        status = None
    if status in WAITING:
        return False
    queue.enqueue(
        MAIL_JOB_FUNCTION,
        mail_id,
        attempt,
        job_id=name,
        result_ttl=600,
        failure_ttl=24 * 3600,
        # A job may not outlive a few SMTP timeouts (connect, each command, the data).
        job_timeout=int(settings.smtp_timeout_s * 6 + 30),
    )
    return True


def wake(settings: Settings, mails: Iterable[OutboxMail]) -> None:
    """Queues mails a request has just committed. Best effort: the sweeper catches up."""
    pending = [(m.id, m.attempts) for m in mails if m.id is not None]
    if not pending:
        return
    client = redis_client(settings)
    try:
        queue = mail_queue(settings, client)
        for mail_id, attempt in pending:
            _enqueue(queue, settings, mail_id, attempt)
    except redis.RedisError as exc:
        log.warning("mail %s waits for the sweeper: Redis unreachable: %s", pending, exc)
    finally:
        client.close()


def sweep_mail(engine: Engine, client: redis.Redis, settings: Settings) -> list[int]:
    """Stalled attempts counted as failed, then every due mail queued; the ids queued."""
    with Session(engine) as db:
        stalled = recover_stalled(db, settings)
        db.commit()
        due = due_mails(db)
    if stalled:
        log.warning("mail attempts stalled (worker gone), counted as failed: %s", stalled)
    queue = mail_queue(settings, client)
    return [mail_id for mail_id, attempt in due if _enqueue(queue, settings, mail_id, attempt)]


def mail_result(runtime: Runtime, submission_id: int) -> None:
    """The submitter's "scored" or "failed" mail, if they asked for it: after the result is
    committed, in its own transaction, and never a reason for the judging job to fail."""
    try:
        with Session(runtime.engine) as db:
            mails = submission_result(db, runtime.settings, submission_id)
            db.commit()
        wake(runtime.settings, mails)
    except Exception:
        log.exception("could not queue the result mail of submission %s", submission_id)


def sweep_reminders(engine: Engine, settings: Settings) -> None:
    """Phase opening and closing reminders that are due (each goes once per date)."""
    with Session(engine) as db:
        mails = phase_reminders(db, settings)
        db.commit()
    wake(settings, mails)
