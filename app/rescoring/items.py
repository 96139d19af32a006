"""Every change of a rescore item's state, as a guarded UPDATE so it happens once.

The same rules as `app.submissions.lifecycle`: workers, the sweeper and an
organiser discarding the set may race, each transition names the state it
expects, and the first one wins. A run whose item was discarded or taken over
writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.rescoring.models import ItemStatus, RescoreItem, RescoreSet, SetStatus

PENDING = (ItemStatus.queued, ItemStatus.running)


def _changed(result: Any) -> bool:
    return bool(result.rowcount)


def mark_dispatched(session: Session, item_id: int, job_id: str) -> bool:
    return _changed(
        session.execute(
            update(RescoreItem)
            .where(
                col(RescoreItem.id) == item_id,
                col(RescoreItem.status) == ItemStatus.queued,
                col(RescoreItem.job_id).is_(None),
            )
            .values(job_id=job_id)
        )
    )


def claim(session: Session, item_id: int, job_id: str, worker: str) -> int | None:
    """queued -> running for this job; the attempt number, or None when it is not ours."""
    now = utcnow()
    result = session.execute(
        update(RescoreItem)
        .where(
            col(RescoreItem.id) == item_id,
            col(RescoreItem.status) == ItemStatus.queued,
            col(RescoreItem.job_id) == job_id,
        )
        .values(
            status=ItemStatus.running,
            attempts=RescoreItem.attempts + 1,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
        )
    )
    if not _changed(result):
        return None
    attempts = session.exec(select(RescoreItem.attempts).where(RescoreItem.id == item_id)).one()
    return int(attempts)


def heartbeat(session: Session, item_id: int, attempt: int) -> bool:
    return _changed(
        session.execute(
            update(RescoreItem)
            .where(
                col(RescoreItem.id) == item_id,
                col(RescoreItem.status) == ItemStatus.running,
                col(RescoreItem.attempts) == attempt,
            )
            .values(heartbeat_at=utcnow())
        )
    )


def finish(
    session: Session,
    item_id: int,
    attempt: int,
    *,
    scored: bool,
    failure: str | None,
    message: str,
    new_scores: dict[str, dict[str, float]],
    logs_sha256: str,
    provenance: dict[str, Any],
) -> bool:
    return _changed(
        session.execute(
            update(RescoreItem)
            .where(
                col(RescoreItem.id) == item_id,
                col(RescoreItem.status) == ItemStatus.running,
                col(RescoreItem.attempts) == attempt,
            )
            .values(
                status=ItemStatus.scored if scored else ItemStatus.failed,
                failure=failure,
                message=message[:4000],
                new_scores=new_scores,
                logs_sha256=logs_sha256,
                provenance=provenance,
                finished_at=utcnow(),
            )
        )
    )


def requeue(
    session: Session, item_id: int, *, expect: ItemStatus, attempt: int | None = None
) -> bool:
    conditions = [col(RescoreItem.id) == item_id, col(RescoreItem.status) == expect]
    if attempt is not None:
        conditions.append(col(RescoreItem.attempts) == attempt)
    return _changed(
        session.execute(
            update(RescoreItem)
            .where(*conditions)
            .values(status=ItemStatus.queued, job_id=None, worker=None, heartbeat_at=None)
        )
    )


def fail_internal(session: Session, item_id: int, *, expect: ItemStatus, message: str) -> bool:
    return _changed(
        session.execute(
            update(RescoreItem)
            .where(col(RescoreItem.id) == item_id, col(RescoreItem.status) == expect)
            .values(
                status=ItemStatus.failed,
                failure="internal_error",
                message=message[:4000],
                finished_at=utcnow(),
            )
        )
    )


def skip_pending(session: Session, set_id: int) -> int:
    """Discarding a set: what has not finished never will (a running job's write is refused)."""
    result = session.execute(
        update(RescoreItem)
        .where(col(RescoreItem.set_id) == set_id, col(RescoreItem.status).in_(PENDING))
        .values(status=ItemStatus.skipped, finished_at=utcnow(), job_id=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def close_if_judged(session: Session, set_id: int) -> bool:
    """judging -> ready once no item waits or runs; True for the call that closed it."""
    pending = session.exec(
        select(func.count())
        .select_from(RescoreItem)
        .where(col(RescoreItem.set_id) == set_id, col(RescoreItem.status).in_(PENDING))
    ).one()
    if pending:
        return False
    return _changed(
        session.execute(
            update(RescoreSet)
            .where(col(RescoreSet.id) == set_id, col(RescoreSet.status) == SetStatus.judging)
            .values(status=SetStatus.ready)
        )
    )


def forget_job(session: Session, item_id: int, job_id: str) -> bool:
    """Redis lost the item's job: it waits to be sent again."""
    return _changed(
        session.execute(
            update(RescoreItem)
            .where(
                col(RescoreItem.id) == item_id,
                col(RescoreItem.job_id) == job_id,
                col(RescoreItem.status) == ItemStatus.queued,
            )
            .values(job_id=None)
        )
    )
