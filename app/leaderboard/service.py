"""Keeping and reading the board: a team's entry changes only when one of its scores lands."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.leaderboard.models import LeaderboardEntry
from app.leaderboard.ranking import BoardSpec, is_better, rank_value, ranks, sort_key
from app.submissions.models import Score, Status, Submission
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


def read_board(
    session: Session,
    spec: BoardSpec,
    phase_id: int,
    split: str,
    exclude: Collection[int] = (),
) -> list[BoardRow]:
    """The ranked board from its kept entries: one indexed query, plain columns, one sort.

    `exclude` names teams kept off the board (disqualified ones); ranks close up.
    """
    rows = session.execute(
        sa_select(
            col(LeaderboardEntry.team_id),
            col(Team.name),
            col(LeaderboardEntry.submission_id),
            col(LeaderboardEntry.submitted_at),
            col(LeaderboardEntry.values),
        )
        .join(Team, col(Team.id) == col(LeaderboardEntry.team_id))
        .where(col(LeaderboardEntry.phase_id) == phase_id, col(LeaderboardEntry.split) == split)
    ).all()
    kept = [r for r in rows if r[0] not in exclude]
    ordered = sorted(kept, key=lambda r: sort_key(spec, r[4], r[3], r[2]))
    rank_list = ranks(spec, [r[4] for r in ordered])
    return [
        BoardRow(
            rank=rank,
            team_id=team_id,
            team_name=name,
            submission_id=submission_id,
            submitted_at=submitted_at,
            values=values,
        )
        for rank, (team_id, name, submission_id, submitted_at, values) in zip(
            rank_list, ordered, strict=True
        )
    ]


def rebuild_entries(session: Session, spec: BoardSpec, phase_id: int, team_ids: set[int]) -> None:
    """Recompute these teams' entries from their scored submissions' current scores.

    Needed when scores change under the board (an applied rescore set): a team's
    best may now be another submission. Offering every submission again keeps
    the one ranking rule of `offer`.
    """
    if not team_ids:
        return
    for entry in session.exec(
        select(LeaderboardEntry).where(
            LeaderboardEntry.phase_id == phase_id, col(LeaderboardEntry.team_id).in_(team_ids)
        )
    ):
        session.delete(entry)
    session.flush()
    rows = session.execute(
        sa_select(
            col(Submission.id),
            col(Submission.team_id),
            col(Submission.created_at),
            col(Score.split),
            col(Score.key),
            col(Score.value),
        )
        .join(Score, col(Score.submission_id) == col(Submission.id))
        .where(
            col(Submission.phase_id) == phase_id,
            col(Submission.team_id).in_(team_ids),
            col(Submission.status) == Status.scored,
            col(Score.current).is_(True),
        )
    ).all()
    gathered: dict[tuple[int, str], tuple[int, datetime, dict[str, float]]] = {}
    for submission_id, team_id, created_at, split, key, value in rows:
        gathered.setdefault((submission_id, split), (team_id, created_at, {}))[2][key] = value
    for (submission_id, split), (team_id, created_at, values) in sorted(gathered.items()):
        offer(
            session,
            spec,
            phase_id=phase_id,
            team_id=team_id,
            split=split,
            submission_id=submission_id,
            submitted_at=created_at,
            values=values,
        )
