"""Which board a reader gets, and the boards that are not kept incrementally.

While a challenge is frozen, participants see the board as it stood at
`frozen_at`: it is recomputed from the current scores of submissions created
before that moment, best per team by the same ranking rules as the live board
(`sort_key`). Organisers and judges keep the live board, unless they are in a
team of the challenge: there they are participants. Nothing of the live
board may reach participants during a freeze, so callers must also silence
live `board` events for them (see `board_audience`). The private board, once
revealed, ranks teams by their chosen final submissions (`final_board`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.accounts.models import Role, User
from app.accounts.service import role_at_least
from app.challenges.models import Challenge
from app.leaderboard.ranking import BoardSpec, ranks, sort_key
from app.leaderboard.service import BoardRow
from app.roles import service as roles
from app.submissions.models import Score, Status, Submission
from app.teams.models import Team
from app.teams.service import team_of

LIVE = "live"
FROZEN = "frozen"


def is_staff(user: User | None) -> bool:
    """Judges, organisers and admins by their site-wide role: a cheap first filter; whether
    they run or judge *this* challenge is `takes_part`'s question."""
    return user is not None and role_at_least(user.role, Role.judge)


def audience_for(frozen_at: datetime | None, user: User | None, competes: bool) -> str:
    """The board a reader gets: FROZEN for participants of a frozen challenge, else LIVE.

    `competes` says the reader is in a team of this challenge: then they are a
    participant here whatever their role, so a judge or organiser who also
    competes sees the frozen board like every other team.
    """
    if frozen_at is not None and not (is_staff(user) and not competes):
        return FROZEN
    return LIVE


def competes_in(session: Session, challenge_id: int, user: User | None) -> bool:
    """Whether `user` is a member of a team of the challenge (and so a participant in it)."""
    if user is None or user.id is None:
        return False
    return team_of(session, challenge_id, user.id) is not None


def takes_part(session: Session, challenge_id: int, user: User | None) -> bool:
    """For the board, `user` is a participant of this challenge: a member of one of its teams,
    or staff of some other challenge or event only (they see this board as the public does)."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or competes_in(session, challenge_id, user):
        return True
    return not roles.sees_everything(session, roles.scope_of(session, user), challenge)


def board_audience(session: Session, challenge: Challenge, user: User | None) -> str:
    assert challenge.id is not None
    if challenge.frozen_at is None or not is_staff(user):
        return audience_for(challenge.frozen_at, user, competes=False)
    return audience_for(challenge.frozen_at, user, takes_part(session, challenge.id, user))


def frozen_board(
    session: Session,
    spec: BoardSpec,
    phase_id: int,
    split: str,
    frozen_at: datetime,
    exclude: Collection[int] = (),
) -> list[BoardRow]:
    """The board as it was at `frozen_at`: best current score per team among earlier submissions.

    Scored submissions only; cancelled ones never count. Rows of one submission
    are gathered into its values first, then each team keeps its best by
    `sort_key`, exactly as `offer` would have kept it.
    """
    rows = session.execute(
        sa_select(
            col(Submission.id),
            col(Submission.team_id),
            col(Submission.created_at),
            col(Team.name),
            col(Score.key),
            col(Score.value),
        )
        .join(Score, col(Score.submission_id) == col(Submission.id))
        .join(Team, col(Team.id) == col(Submission.team_id))
        .where(
            col(Submission.phase_id) == phase_id,
            col(Submission.status) == Status.scored,
            col(Submission.created_at) < frozen_at,
            col(Score.split) == split,
            col(Score.current).is_(True),
        )
    ).all()
    scored: dict[int, BoardRow] = {}
    for submission_id, team_id, created_at, team_name, key, value in rows:
        if team_id in exclude:
            continue
        row = scored.setdefault(
            submission_id, BoardRow(0, team_id, team_name, submission_id, created_at, {})
        )
        row.values[key] = value
    best: dict[int, BoardRow] = {}
    for row in scored.values():
        current = best.get(row.team_id)
        if current is None or _key(spec, row) < _key(spec, current):
            best[row.team_id] = row
    return ranked(spec, best.values())


def _key(spec: BoardSpec, row: BoardRow) -> tuple[object, ...]:
    return sort_key(spec, row.values, row.submitted_at, row.submission_id)


def ranked(spec: BoardSpec, rows: Iterable[BoardRow]) -> list[BoardRow]:
    """The rows in board order, each with its competition rank (equal metrics share one)."""
    ordered = sorted(rows, key=lambda row: _key(spec, row))
    rank_list = ranks(spec, [row.values for row in ordered])
    return [replace(row, rank=rank) for rank, row in zip(rank_list, ordered, strict=True)]


@dataclass
class _Scored:
    """One scored submission with its scores on both parts (for the private board)."""

    id: int
    team_id: int
    team_name: str
    at: datetime
    selected: bool
    public: dict[str, float] = field(default_factory=dict)
    private: dict[str, float] = field(default_factory=dict)

    def row(self, values: dict[str, float]) -> BoardRow:
        return BoardRow(0, self.team_id, self.team_name, self.id, self.at, values)


def final_count(challenge: Challenge) -> int:
    """N from the bundle's `leaderboard.final_submissions` (its schema default is 2)."""
    return int((challenge.config.get("leaderboard") or {}).get("final_submissions", 2))


def final_board(
    session: Session, spec: BoardSpec, phase_id: int, n: int, exclude: Collection[int] = ()
) -> list[BoardRow]:
    """The private board from final selections.

    Per team: the submissions it selected as final (at most `n` count, the
    earliest selected first), or, when it selected none, its `n` best by the
    public board's rules. Among those, its best private score ranks it. A team
    therefore cannot gain from a private score it did not choose in advance.
    """
    rows = session.execute(
        sa_select(
            col(Submission.id),
            col(Submission.team_id),
            col(Submission.created_at),
            col(Submission.selected_final),
            col(Team.name),
            col(Score.split),
            col(Score.key),
            col(Score.value),
        )
        .join(Score, col(Score.submission_id) == col(Submission.id))
        .join(Team, col(Team.id) == col(Submission.team_id))
        .where(
            col(Submission.phase_id) == phase_id,
            col(Submission.status) == Status.scored,
            col(Score.current).is_(True),
        )
    ).all()
    subs: dict[int, _Scored] = {}
    for sub_id, team_id, created_at, selected, name, split, key, value in rows:
        if team_id in exclude:
            continue
        item = subs.setdefault(sub_id, _Scored(sub_id, team_id, name, created_at, selected))
        (item.private if split == "private" else item.public)[key] = value
    by_team: dict[int, list[_Scored]] = {}
    for item in subs.values():
        by_team.setdefault(item.team_id, []).append(item)
    best: list[BoardRow] = []
    for items in by_team.values():
        chosen = sorted((i for i in items if i.selected), key=lambda i: (i.at, i.id))[:n]
        if not chosen:
            chosen = sorted(items, key=lambda i: sort_key(spec, i.public, i.at, i.id))[:n]
        candidates = [i for i in chosen if i.private]
        if candidates:
            top = min(candidates, key=lambda i: sort_key(spec, i.private, i.at, i.id))
            best.append(top.row(top.private))
    return ranked(spec, best)
