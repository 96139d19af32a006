"""What the board page adds per reader and per team, beside the cached board itself.

The JSON board is shared by every reader and kept in memory (cache.py); what
differs per reader or needs other tables is computed here for the HTML page
only, so the cached bytes and their hot path stay as they are.

Integrity: these read submissions' status and time, never a private score, and
for a reader of the frozen board only submissions made before the freeze, like
the board itself. A team's entry count can grow without its board row moving,
but a scored submission always has both its public and its private scores, so
the count tells nothing about the private ones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.leaderboard.service import BoardRow
from app.submissions.models import Status, Submission


@dataclass(frozen=True)
class Activity:
    entries: int  # scored submissions
    last: datetime  # when the latest of them was made


def team_activity(
    session: Session,
    phase_id: int,
    team_ids: Collection[int],
    until: datetime | None = None,
) -> dict[int, Activity]:
    """Scored submissions per team of `team_ids`, and when each made its last one.

    Only the teams of the page being shown: the (team, phase, created) index
    answers them without reading the rest of the phase. `until` is the freeze.
    """
    if not team_ids:
        return {}
    conditions = [
        col(Submission.team_id).in_(list(team_ids)),
        col(Submission.phase_id) == phase_id,
        col(Submission.status) == Status.scored,
    ]
    if until is not None:
        conditions.append(col(Submission.created_at) < until)
    rows = session.execute(
        sa_select(
            col(Submission.team_id),
            func.count(col(Submission.id)),
            func.max(col(Submission.created_at)),
        )
        .where(*conditions)
        .group_by(col(Submission.team_id))
    ).all()
    return {team_id: Activity(int(count), last) for team_id, count, last in rows}


@dataclass(frozen=True)
class Move:
    """A team's change from its public rank to its private one (`by` > 0: it climbed)."""

    public_rank: int | None  # None: the team had no row on the public board
    by: int

    @property
    def arrow(self) -> str:
        if self.public_rank is None:
            return "•"
        if self.by > 0:
            return f"▲{self.by}"
        if self.by < 0:
            return f"▼{-self.by}"
        return "="


def moves(public: Sequence[BoardRow], private: Sequence[BoardRow]) -> dict[int, Move]:
    """Per team of the private board, how far it moved from the public board's rank.

    Only for the revealed private board: before the reveal this would be a
    private ranking in disguise.
    """
    public_rank = {row.team_id: row.rank for row in public}
    found: dict[int, Move] = {}
    for row in private:
        before = public_rank.get(row.team_id)
        found[row.team_id] = Move(before, 0 if before is None else before - row.rank)
    return found
