"""The one lock every change to a team, and every per-team limit, is taken under.

Joining checks the team's size and then inserts; a submission checks the team's quota and
then inserts; leaving checks who else is left and then deletes. Each of those is a
check-then-write that two requests can interleave (an outside tester grew a team of at most
4 to 7 members by joining from many clients at once), so each takes the team's row lock
first and does its reads and its write in the same transaction.

Kept apart from the team service so that other packages (submissions, finals) can lock a
team without importing the team rules, and the team rules never import them.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session

from app.teams.models import Team


def lock_team(session: Session, team_id: int) -> bool:
    """Serialise every change to one team until the transaction ends; False if it is gone.

    An UPDATE that changes nothing takes PostgreSQL's row lock and SQLite's write lock
    alike; on SQLite it must come before any other write of the transaction (reads before
    it run outside the transaction, so what is read after it is current). Objects loaded
    before the lock may be stale: refresh what the decision depends on.
    """
    result = session.execute(update(Team).where(Team.id == team_id).values(id=Team.id))  # type: ignore[arg-type]
    return cast(CursorResult[Any], result).rowcount > 0
