"""The RQ job: load a submission from the database, judge it, write the result.

Kept thin on purpose (RQ's lesson: jobs are plain functions with ids as
arguments). Everything interesting happens in `judging` (pure pipeline) and
in `app.queue.results` (the single transaction that records the outcome).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from rq import get_current_job
from sqlmodel import Session

import sandbox
from app.core.redis import redis_client
from app.core.runtime import Runtime, open_runtime
from app.core.settings import Settings, get_settings
from app.live.notify import notify_status
from app.queue.connection import judge_queue
from app.queue.dispatch import dispatch
from app.queue.heartbeat import Heartbeat
from app.queue.requests import prepare_request
from app.queue.results import record_result
from app.submissions.lifecycle import claim, fail_internal, heartbeat, requeue
from app.submissions.models import Status, Submission
from judging import judge

log = logging.getLogger(__name__)

RETRY_MESSAGE = "judging failed on our side ({error}); it will be retried"


def judge_submission(submission_id: int) -> str:
    """Entry point run by RQ workers; returns a short word for RQ's result registry."""
    settings = get_settings()
    runtime = open_runtime(settings, run_migrations=False)
    try:
        return _judge(runtime, submission_id)
    finally:
        runtime.engine.dispose()


def _judge(runtime: Runtime, submission_id: int) -> str:
    settings = runtime.settings
    client = redis_client(settings)
    job = get_current_job()
    job_id = job.id if job is not None else ""
    worker = (
        job.worker_name if job is not None else None
    ) or f"{socket.gethostname()}:{os.getpid()}"
    with Session(runtime.engine) as session:
        attempt = claim(session, submission_id, job_id, worker)
        session.commit()
    if attempt is None:
        return "skipped: not queued for this job"
    notify_status(runtime.engine, client, submission_id)
    outcome = "failed"
    try:
        # Several beats fit in the sweeper's patience, so one slow write is never fatal.
        interval = min(5.0, settings.heartbeat_timeout_s / 4)
        beat = functools.partial(heartbeat, submission_id=submission_id, attempt=attempt)
        with Heartbeat(runtime.engine, beat, interval, f"submission {submission_id}"):
            outcome = _run_pipeline(runtime, submission_id, attempt)
    finally:
        dispatch(
            runtime.engine,
            judge_queue(settings, client),
            depth=settings.dispatch_depth,
            team_cap=settings.team_concurrency,
        )
    return outcome


def _run_pipeline(runtime: Runtime, submission_id: int, attempt: int) -> str:
    settings = runtime.settings
    client = redis_client(settings)
    workdir = Path(tempfile.mkdtemp(prefix=f"sub-{submission_id}-", dir=settings.work_dir))
    try:
        with Session(runtime.engine) as session:
            submission = session.get(Submission, submission_id)
            assert submission is not None
            request = prepare_request(
                runtime, session, submission, workdir, {"marea.submission": str(submission_id)}
            )
        result = judge(request, workdir=workdir / "judge")
    except sandbox.EngineUnavailable as exc:
        _give_back(
            runtime, submission_id, attempt, f"Docker engine unavailable: {exc}", refund=True
        )
        return "requeued: engine unavailable"
    except Exception as exc:
        log.exception("internal error judging submission %s", submission_id)
        _give_back(
            runtime, submission_id, attempt, RETRY_MESSAGE.format(error=exc.__class__.__name__)
        )
        return "requeued: internal error"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    changed = record_result(runtime, submission_id, attempt, result)
    notify_status(runtime.engine, client, submission_id, boards=changed)
    return result.status


def _give_back(
    runtime: Runtime, submission_id: int, attempt: int, reason: str, refund: bool = False
) -> None:
    """Requeue after an internal problem, or give up after max_attempts."""
    settings: Settings = runtime.settings
    with Session(runtime.engine) as session:
        if not refund and attempt >= settings.max_attempts:
            fail_internal(
                session,
                submission_id,
                expect=Status.running,
                message=(
                    f"Marea could not judge this submission after {attempt} attempts because of a "
                    "problem on our side, not in your submission. It does not count against your "
                    "quota; please submit it again."
                ),
            )
        else:
            requeue(session, submission_id, expect=Status.running, attempt=attempt, reason=reason)
            if refund:
                _refund_attempt(session, submission_id)
        session.commit()
    notify_status(runtime.engine, redis_client(settings), submission_id)


def _refund_attempt(session: Session, submission_id: int) -> None:
    submission = session.get(Submission, submission_id)
    if submission is not None and submission.attempts > 0:
        submission.attempts -= 1
        session.add(submission)
