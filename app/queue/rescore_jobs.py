"""Judging rescore items on the workers, and keeping them moving after crashes.

The same shape as `app.queue.jobs`: a thin RQ job with an id as argument, a
database heartbeat, guarded writes. Items go to their own queue, listed after
the participants' one, so a rescore of a whole phase never delays a team
waiting for its score. The proposed scores go to the item, never to the board.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import socket
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import redis
from rq import Queue, get_current_job
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import sandbox
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.redis import redis_client
from app.core.runtime import Runtime, open_runtime
from app.core.settings import Settings, get_settings
from app.queue.connection import RESCORE_JOB_FUNCTION, rescore_queue
from app.queue.heartbeat import Heartbeat
from app.queue.job_state import job_is_lost
from app.queue.judge_request import judging_bound_s
from app.queue.requests import prepare_request
from app.rescoring import items
from app.rescoring.models import ItemStatus, RescoreItem, RescoreSet
from app.submissions.models import Submission
from judging import judge

log = logging.getLogger(__name__)

GAVE_UP = (
    "Marea could not judge this submission again after {attempts} attempts because of a problem "
    "on its side; the submission keeps its old score."
)


def rescore_item(item_id: int) -> str:
    """Entry point run by RQ workers."""
    runtime = open_runtime(get_settings(), run_migrations=False)
    try:
        return _rescore(runtime, item_id)
    finally:
        runtime.engine.dispose()


def _rescore(runtime: Runtime, item_id: int) -> str:
    settings = runtime.settings
    job = get_current_job()
    job_id = job.id if job is not None else ""
    worker = (
        job.worker_name if job is not None else None
    ) or f"{socket.gethostname()}:{os.getpid()}"
    with Session(runtime.engine) as session:
        attempt = items.claim(session, item_id, job_id, worker)
        session.commit()
    if attempt is None:
        return "skipped: not queued for this job"
    interval = min(5.0, settings.heartbeat_timeout_s / 4)
    beat = functools.partial(items.heartbeat, item_id=item_id, attempt=attempt)
    with Heartbeat(runtime.engine, beat, interval, f"rescore item {item_id}"):
        outcome = _run(runtime, item_id, attempt)
    enqueue_pending(runtime.engine, rescore_queue(settings, redis_client(settings)))
    return outcome


def _run(runtime: Runtime, item_id: int, attempt: int) -> str:
    settings = runtime.settings
    workdir = Path(tempfile.mkdtemp(prefix=f"rescore-{item_id}-", dir=settings.work_dir))
    try:
        with Session(runtime.engine) as session:
            item = session.get(RescoreItem, item_id)
            assert item is not None
            submission = session.get(Submission, item.submission_id)
            assert submission is not None
            labels = {"marea.rescore": str(item_id), "marea.submission": str(submission.id)}
            request = prepare_request(runtime, session, submission, workdir, labels)
        result = judge(request, workdir=workdir / "judge")
    except sandbox.EngineUnavailable as exc:
        _give_back(runtime.engine, settings, item_id, attempt, f"Docker engine unavailable: {exc}")
        return "requeued: engine unavailable"
    except Exception as exc:
        log.exception("internal error judging rescore item %s", item_id)
        _give_back(runtime.engine, settings, item_id, attempt, exc.__class__.__name__)
        return "requeued: internal error"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    data = result.to_json()
    logs = runtime.store.put_bytes(json.dumps(data["logs"], ensure_ascii=False).encode())
    with Session(runtime.engine) as session:
        won = items.finish(
            session,
            item_id,
            attempt,
            scored=data["status"] == "scored",
            failure=data["failure"],
            message=data["message"],
            new_scores=data["scores"] if data["status"] == "scored" else {},
            logs_sha256=logs.sha256,
            provenance=data["provenance"],
        )
        if won:
            _close_set(session, item_id)
        session.commit()
    return result.status if won else "discarded meanwhile"


def _close_set(session: Session, item_id: int) -> None:
    set_id = session.exec(select(RescoreItem.set_id).where(RescoreItem.id == item_id)).one()
    items.close_if_judged(session, set_id)


def _give_back(engine: Engine, settings: Settings, item_id: int, attempt: int, reason: str) -> None:
    with Session(engine) as session:
        if attempt >= settings.max_attempts:
            if items.fail_internal(
                session,
                item_id,
                expect=ItemStatus.running,
                message=GAVE_UP.format(attempts=attempt) + f" ({reason})",
            ):
                _close_set(session, item_id)
        else:
            items.requeue(session, item_id, expect=ItemStatus.running, attempt=attempt)
        session.commit()


def enqueue_pending(engine: Engine, queue: Queue) -> list[int]:
    """Hand every waiting item to Redis; items already handed over are left alone."""
    with Session(engine) as session:
        rows = session.exec(
            select(RescoreItem.id, Phase.kind, Phase.code, Challenge.config)
            .join(RescoreSet, col(RescoreSet.id) == col(RescoreItem.set_id))
            .join(Phase, col(Phase.id) == col(RescoreSet.phase_id))
            .join(Challenge, col(Challenge.id) == col(RescoreSet.challenge_id))
            .where(col(RescoreItem.status) == ItemStatus.queued, col(RescoreItem.job_id).is_(None))
            .order_by(col(RescoreItem.id))
        ).all()
    sent: list[int] = []
    for item_id, kind, code, config in rows:
        assert item_id is not None
        job_id = f"rescore-{item_id}-{uuid.uuid4().hex[:10]}"
        with Session(engine) as session:
            won = items.mark_dispatched(session, item_id, job_id)
            session.commit()
        if not won:
            continue
        try:
            queue.enqueue(
                RESCORE_JOB_FUNCTION,
                item_id,
                job_id=job_id,
                job_timeout=judging_bound_s(kind, code, config.get("scoring") or {}),
                result_ttl=3600,
                failure_ttl=86400,
            )
        except redis.RedisError as exc:  # the sweeper notices the lost job and tries again
            log.warning("could not enqueue rescore item %s: %s", item_id, exc)
            break
        sent.append(item_id)
    return sent


def sweep_rescores(engine: Engine, client: redis.Redis, settings: Settings) -> None:
    """Dead runs go back to the queue (or fail after the retries); lost jobs are sent again."""
    cutoff = utcnow() - timedelta(seconds=settings.heartbeat_timeout_s)
    with Session(engine) as session:
        stale = session.exec(
            select(RescoreItem.id, RescoreItem.attempts).where(
                col(RescoreItem.status) == ItemStatus.running,
                col(RescoreItem.heartbeat_at) < cutoff,
            )
        ).all()
        handed_over = session.exec(
            select(RescoreItem.id, RescoreItem.job_id).where(
                col(RescoreItem.status) == ItemStatus.queued,
                col(RescoreItem.job_id).is_not(None),
            )
        ).all()
    for item_id, attempts in stale:
        assert item_id is not None
        log.warning("rescore item %s: its worker stopped answering", item_id)
        _give_back(engine, settings, item_id, attempts, "the worker judging it stopped answering")
    for item_id, job_id in handed_over:
        assert item_id is not None and job_id is not None
        if job_is_lost(client, job_id, settings.heartbeat_timeout_s):
            with Session(engine) as session:
                items.forget_job(session, item_id, job_id)
                session.commit()
    enqueue_pending(engine, rescore_queue(settings, client))
