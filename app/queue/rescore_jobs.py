"""Judging rescore items on the workers, and keeping them moving after crashes.

The job is `app.queue.runner`'s skeleton, the same as a submission's; what is
an item's own is plugged in here: no team hears of it, a give-up keeps the old
score, and an item that ends may close its set. Items go to their own queue,
listed after the participants' one, so a rescore of a whole phase never delays
a team waiting for its score. The proposed scores go to the item, never to the
board.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Phase
from app.core.runtime import Runtime
from app.core.settings import Settings
from app.queue.connection import RESCORE_JOB_FUNCTION, rescore_queue
from app.queue.judge_request import judging_bound_s
from app.queue.requests import prepare_request
from app.queue.runner import JobKind, Swept, run_job, store_logs, sweep_kind
from app.rescoring.items import ITEMS, close_set_of
from app.rescoring.models import ItemStatus, RescoreItem, RescoreSet
from app.submissions.models import Submission
from judging import JudgeRequest, JudgeResult, Message

log = logging.getLogger(__name__)


class RescoreJobs(JobKind[ItemStatus]):
    rows = ITEMS
    what = "rescore item"
    workdir_prefix = "rescore"

    def request(
        self, runtime: Runtime, session: Session, row_id: int, workdir: Path
    ) -> JudgeRequest:
        item = session.get(RescoreItem, row_id)
        assert item is not None
        submission = session.get(Submission, item.submission_id)
        assert submission is not None
        labels = {"marea.rescore": str(row_id), "marea.submission": str(submission.id)}
        return prepare_request(runtime, session, submission, workdir, labels)

    def record(
        self, runtime: Runtime, client: redis.Redis, row_id: int, attempt: int, result: JudgeResult
    ) -> str:
        """The proposed scores stay on the item: the board changes only when the set is applied."""
        data = result.to_json()
        scored = data["status"] == "scored"
        logs_sha256 = store_logs(runtime.store, data)
        with Session(runtime.engine) as session:
            won = ITEMS.finish(
                session,
                row_id,
                attempt,
                status=ItemStatus.scored if scored else ItemStatus.failed,
                failure=data["failure"],
                message=data["message"],
                values={
                    "new_scores": data["scores"] if scored else {},
                    "logs_sha256": logs_sha256,
                    "message_i18n": data["message_i18n"],
                    "provenance": data["provenance"],
                },
            )
            if won:
                self.settled(session, row_id)
            session.commit()
        return result.status if won else "discarded meanwhile"

    def hand_out_next(self, runtime: Runtime, client: redis.Redis) -> None:
        enqueue_pending(runtime.engine, rescore_queue(runtime.settings, client))

    def gave_up_message(self, attempts: int, reason: Message, *, worker_died: bool) -> Message:
        """Organisers read it, so it carries the reason of the last retry."""
        return Message("rescore_gave_up", {"attempts": attempts, "reason": reason})

    def settled(self, session: Session, row_id: int) -> None:
        close_set_of(session, row_id)


RESCORE_JOBS = RescoreJobs()


def rescore_item(item_id: int) -> str:
    """Entry point run by RQ workers (`RESCORE_JOB_FUNCTION`)."""
    return run_job(RESCORE_JOBS, item_id)


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
            won = ITEMS.mark_dispatched(session, item_id, job_id)
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


def sweep_rescores(engine: Engine, client: redis.Redis, settings: Settings) -> Swept:
    """Dead runs go back to the queue (or fail after the retries); lost jobs are sent again."""
    swept = sweep_kind(engine, client, settings, RESCORE_JOBS)
    enqueue_pending(engine, rescore_queue(settings, client))
    return swept
