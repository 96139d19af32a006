"""Every change of a rescore item's state, as a guarded UPDATE so it happens once.

An item is judged like a submission, with the same transitions
(`app.core.claimable`): workers, the sweeper and an organiser discarding the set
may race, each transition names the state it expects, and the first one wins. A
run whose item was discarded or taken over writes nothing. What is the items'
own is the set around them: discarding it, and closing it once all are judged.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.core.claimable import Claimable
from app.core.db import utcnow
from app.rescoring.models import ItemStatus, RescoreItem, RescoreSet, SetStatus

PENDING = (ItemStatus.queued, ItemStatus.running)

ITEMS = Claimable(
    RescoreItem, queued=ItemStatus.queued, running=ItemStatus.running, failed=ItemStatus.failed
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
    result = session.execute(
        update(RescoreSet)
        .where(col(RescoreSet.id) == set_id, col(RescoreSet.status) == SetStatus.judging)
        .values(status=SetStatus.ready)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def close_set_of(session: Session, item_id: int) -> bool:
    """An item ended for good: its set may now be fully judged."""
    set_id = session.exec(select(RescoreItem.set_id).where(RescoreItem.id == item_id)).one()
    return close_if_judged(session, set_id)
