"""Keeping and reading the board: a team's entry changes only when one of its scores lands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import utcnow
from app.leaderboard.models import LeaderboardEntry
from app.leaderboard.ranking import BoardSpec, is_better, rank_value, ranks, sort_key
from app.teams.models import Team

SPLITS = ("public", "private")


def offer(
    session: Session,
    spec: BoardSpec,
    *,
    phase_id: int,
    team_id: int,
    split: str,
    submission_id: int,
    submitted_at: datetime,
    values: dict[str, float],
) -> bool:
    """Put a new score on the board if it beats the team's entry; True when the board changed."""
    stmt = select(LeaderboardEntry).where(
        LeaderboardEntry.phase_id == phase_id,
        LeaderboardEntry.team_id == team_id,
        LeaderboardEntry.split == split,
    )
    entry = session.exec(stmt.with_for_update()).first()
    if entry is None:
        try:
            with session.begin_nested():
                session.add(
                    LeaderboardEntry(
                        phase_id=phase_id,
                        team_id=team_id,
                        split=split,
                        submission_id=submission_id,
                        rank_value=rank_value(spec, values),
                        values=values,
                        submitted_at=submitted_at,
                    )
                )
            return True
        except IntegrityError:  # another worker inserted the team's first entry just now
            entry = session.exec(stmt.with_for_update()).one()
    assert entry.id is not None
    if not is_better(
        spec,
        values,
        submitted_at,
        submission_id,
        entry.values,
        entry.submitted_at,
        entry.submission_id,
    ):
        return False
    entry.submission_id = submission_id
    entry.values = dict(values)
    entry.rank_value = rank_value(spec, values)
    entry.submitted_at = submitted_at
    entry.updated_at = utcnow()
    session.add(entry)
    return True


@dataclass(frozen=True)
class BoardRow:
    rank: int
    team_id: int
    team_name: str
    submission_id: int
    submitted_at: datetime
    values: dict[str, float]


def read_board(session: Session, spec: BoardSpec, phase_id: int, split: str) -> list[BoardRow]:
    rows = session.exec(
        select(LeaderboardEntry, Team.name)
        .join(Team, col(Team.id) == col(LeaderboardEntry.team_id))
        .where(LeaderboardEntry.phase_id == phase_id, LeaderboardEntry.split == split)
    ).all()
    ordered = sorted(
        rows, key=lambda r: sort_key(spec, r[0].values, r[0].submitted_at, r[0].submission_id)
    )
    rank_list = ranks(spec, [entry.values for entry, _ in ordered])
    return [
        BoardRow(
            rank=rank,
            team_id=entry.team_id,
            team_name=name,
            submission_id=entry.submission_id,
            submitted_at=entry.submitted_at,
            values=entry.values,
        )
        for rank, (entry, name) in zip(rank_list, ordered, strict=True)
    ]
