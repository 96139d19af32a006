"""The one skeleton of a judging job, shared by participants' submissions and rescore items.

A job claims its row (so a duplicate or stale delivery does nothing), keeps a
database heartbeat while it runs (so the sweeper can tell a slow run from a dead
one), judges, records the result with a guarded write, and hands out the next
jobs. An internal problem (the engine down, a bug) never fails the row at once:
it goes back to the queue until `max_attempts`, and the sweeper does the same for
a worker that died. The rules live here once; a `JobKind` says what differs:
which table, how a request is built, how a result is stored and announced.

Kept thin on purpose (RQ's lesson: jobs are plain functions with ids as
arguments). Everything interesting happens in `judging` (the pure pipeline).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import socket
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic

import redis
from rq import get_current_job
from sqlalchemy.engine import Engine
from sqlmodel import Session

import sandbox
from app.core.claimable import Claimable, S
from app.core.db import utcnow
from app.core.redis import redis_client
from app.core.runtime import Runtime, open_runtime
from app.core.settings import Settings, get_settings
from app.core.store import Store
from app.queue.heartbeat import Heartbeat
from app.queue.job_state import job_is_lost
from judging import JudgeRequest, JudgeResult, Message, judge

log = logging.getLogger(__name__)


class JobKind(ABC, Generic[S]):
    """What a kind of judged row plugs into the shared job and sweep."""

    rows: Claimable[S]
    what: str
    """Names the row in logs and thread names ("submission 12")."""
    workdir_prefix: str
    retry_reason: str = "retry.internal"
    """Why the row went back to the queue after an internal error (a `judging.messages` id;
    {error} is the exception's class)."""
    worker_died_reason: str = "retry.worker_died"
    refunds_engine_outages: bool = False
    """An engine outage is nobody's attempt: the row keeps its attempt count and never fails."""

    @abstractmethod
    def request(
        self, runtime: Runtime, session: Session, row_id: int, workdir: Path
    ) -> JudgeRequest:
        """The judging request for the row, its files prepared under `workdir`."""

    @abstractmethod
    def record(
        self, runtime: Runtime, client: redis.Redis, row_id: int, attempt: int, result: JudgeResult
    ) -> str:
        """Store the result for this attempt (a stale one writes nothing) and announce it;
        returns the word kept in RQ's result registry."""

    @abstractmethod
    def hand_out_next(self, runtime: Runtime, client: redis.Redis) -> None:
        """A worker slot is free again: give Redis the next rows of this kind."""

    @abstractmethod
    def gave_up_message(self, attempts: int, reason: Message, *, worker_died: bool) -> Message:
        """What people read on a row that failed because of Marea, not because of its code:
        an id and parameters, so each reader gets it in their language."""

    def announce(self, engine: Engine, client: redis.Redis, row_id: int) -> None:
        """Tell whoever watches the row that its state changed (committed already)."""

    def settled(self, session: Session, row_id: int) -> None:
        """The row reached a final state, in the transaction that put it there."""


def worker_name() -> str:
    """The RQ worker's name, or host:pid when run outside a worker (tests, benches)."""
    job = get_current_job()
    name = job.worker_name if job is not None else None
    return name or f"{socket.gethostname()}:{os.getpid()}"


def run_job(kind: JobKind[S], row_id: int) -> str:
    """Entry point of an RQ job; returns a short word for RQ's result registry."""
    runtime = open_runtime(get_settings(), run_migrations=False)
    try:
        return run_claimed(runtime, kind, row_id)
    finally:
        runtime.engine.dispose()


def run_claimed(runtime: Runtime, kind: JobKind[S], row_id: int) -> str:
    settings = runtime.settings
    client = redis_client(settings)
    job = get_current_job()
    with Session(runtime.engine) as session:
        attempt = kind.rows.claim(session, row_id, job.id if job is not None else "", worker_name())
        session.commit()
    if attempt is None:
        return "skipped: not queued for this job"
    kind.announce(runtime.engine, client, row_id)
    try:
        # Several beats fit in the sweeper's patience, so one slow write is never fatal.
        interval = min(5.0, settings.heartbeat_timeout_s / 4)
        beat = functools.partial(kind.rows.heartbeat, row_id=row_id, attempt=attempt)
        with Heartbeat(runtime.engine, beat, interval, f"{kind.what} {row_id}"):
            return _judge(runtime, client, kind, row_id, attempt)
    finally:
        kind.hand_out_next(runtime, client)


def _judge(
    runtime: Runtime, client: redis.Redis, kind: JobKind[S], row_id: int, attempt: int
) -> str:
    settings = runtime.settings
    workdir = Path(
        tempfile.mkdtemp(prefix=f"{kind.workdir_prefix}-{row_id}-", dir=settings.work_dir)
    )
    try:
        with Session(runtime.engine) as session:
            request = kind.request(runtime, session, row_id, workdir)
        result = judge(request, workdir=workdir / "judge")
    except sandbox.EngineUnavailable as exc:
        give_back(
            runtime.engine,
            client,
            settings,
            kind,
            row_id,
            attempt,
            Message("retry.engine", {"error": str(exc)}),
            refund=kind.refunds_engine_outages,
        )
        return "requeued: engine unavailable"
    except Exception as exc:
        log.exception("internal error judging %s %s", kind.what, row_id)
        reason = Message(kind.retry_reason, {"error": exc.__class__.__name__})
        give_back(runtime.engine, client, settings, kind, row_id, attempt, reason)
        return "requeued: internal error"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return kind.record(runtime, client, row_id, attempt, result)


def give_back(
    engine: Engine,
    client: redis.Redis,
    settings: Settings,
    kind: JobKind[S],
    row_id: int,
    attempt: int,
    reason: Message,
    *,
    refund: bool = False,
    worker_died: bool = False,
) -> str | None:
    """After a problem on Marea's side: back to the queue, or failed after `max_attempts`.

    Returns "recovered" or "gave_up" for the call that changed the row, None when the
    row was no longer this attempt's (another sweeper, a cancel, a discard won).
    """
    with Session(engine) as session:
        if not refund and attempt >= settings.max_attempts:
            message = kind.gave_up_message(attempt, reason, worker_died=worker_died)
            changed = kind.rows.fail_internal(
                session,
                row_id,
                expect=kind.rows.running,
                message=message.english(),
                message_i18n=message.to_json(),
            )
            outcome = "gave_up"
            if changed:
                kind.settled(session, row_id)
        else:
            changed = kind.rows.requeue(
                session,
                row_id,
                expect=kind.rows.running,
                attempt=attempt,
                reason=reason.english(),
            )
            outcome = "recovered"
            if changed and refund:
                kind.rows.refund_attempt(session, row_id)
        session.commit()
    if not changed:
        return None
    kind.announce(engine, client, row_id)
    return outcome


@dataclass
class Swept:
    """Row ids the sweep moved, for its log line and the tests."""

    recovered: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    lost_jobs: list[int] = field(default_factory=list)


def sweep_kind(
    engine: Engine,
    client: redis.Redis,
    settings: Settings,
    kind: JobKind[S],
    swept: Swept | None = None,
) -> Swept:
    """Dead runs go back to the queue (or fail after the retries); lost jobs are forgotten,
    so the rows are handed out again. Fills `swept` as it goes, so a sweep that Redis
    interrupts still reports what it did."""
    swept = swept if swept is not None else Swept()
    cutoff = utcnow() - timedelta(seconds=settings.heartbeat_timeout_s)
    with Session(engine) as session:
        stale = kind.rows.stale_runs(session, cutoff)
    for row_id, attempts in stale:
        log.warning("%s %s: its worker stopped answering", kind.what, row_id)
        outcome = give_back(
            engine,
            client,
            settings,
            kind,
            row_id,
            attempts,
            Message(kind.worker_died_reason),
            worker_died=True,
        )
        if outcome == "gave_up":
            swept.gave_up.append(row_id)
        elif outcome == "recovered":
            swept.recovered.append(row_id)
    with Session(engine) as session:
        handed_over = kind.rows.handed_over(session)
    for row_id, job_id in handed_over:
        if not job_is_lost(client, job_id, settings.heartbeat_timeout_s):
            continue
        with Session(engine) as session:
            forgotten = kind.rows.forget_job(session, row_id, job_id)
            session.commit()
        if forgotten:
            swept.lost_jobs.append(row_id)
    return swept


def store_logs(store: Store, data: dict[str, Any]) -> str:
    """Logs go to the content store, not the database; the row keeps their hash."""
    return store.put_bytes(json.dumps(data["logs"], ensure_ascii=False).encode()).sha256
