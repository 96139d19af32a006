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

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.accounts.models import Role, User
from app.accounts.service import role_at_least
from app.challenges.models import Challenge
from app.leaderboard.ranking import BoardSpec, ranks, sort_key
from app.leaderboard.service import BoardRow
from app.submissions.models import Score, Status, Submission
from app.teams.models import Team
from app.teams.service import team_of

LIVE = "live"
FROZEN = "frozen"


def is_staff(user: User | None) -> bool:
    """Judges, organisers and admins, by their site-wide role."""
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


def board_audience(session: Session, challenge: Challenge, user: User | None) -> str:
    assert challenge.id is not None
    if challenge.frozen_at is None or not is_staff(user):
        return audience_for(challenge.frozen_at, user, competes=False)
    return audience_for(challenge.frozen_at, user, competes_in(session, challenge.id, user))


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
    submissions: dict[int, tuple[int, datetime, str, dict[str, float]]] = {}
    for submission_id, team_id, created_at, team_name, key, value in rows:
        if team_id in exclude:
            continue
        entry = submissions.setdefault(submission_id, (team_id, created_at, team_name, {}))
        entry[3][key] = value
    best: dict[int, tuple[int, datetime, str, dict[str, float]]] = {}
    for submission_id, (team_id, created_at, team_name, values) in submissions.items():
        current = best.get(team_id)
        if current is None or sort_key(spec, values, created_at, submission_id) < sort_key(
            spec, current[3], current[1], current[0]
        ):
            best[team_id] = (submission_id, created_at, team_name, values)
    ordered = sorted(
        best.items(), key=lambda item: sort_key(spec, item[1][3], item[1][1], item[1][0])
    )
    rank_list = ranks(spec, [item[1][3] for item in ordered])
    return [
        BoardRow(
            rank=rank,
            team_id=team_id,
            team_name=team_name,
            submission_id=submission_id,
            submitted_at=created_at,
            values=values,
        )
        for rank, (team_id, (submission_id, created_at, team_name, values)) in zip(
            rank_list, ordered, strict=True
        )
    ]


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
    subs: dict[int, dict[str, object]] = {}
    for sub_id, team_id, created_at, selected, name, split, key, value in rows:
        if team_id in exclude:
            continue
        item = subs.setdefault(
            sub_id,
            {
                "team": team_id,
                "at": created_at,
                "selected": selected,
                "name": name,
                "public": {},
                "private": {},
            },
        )
        item[split][key] = value  # type: ignore[index]
    by_team: dict[int, list[int]] = {}
    for sub_id, item in subs.items():
        by_team.setdefault(item["team"], []).append(sub_id)  # type: ignore[arg-type]
    best: dict[int, tuple[int, datetime, str, dict[str, float]]] = {}
    for team_id, ids in by_team.items():
        chosen = sorted((i for i in ids if subs[i]["selected"]), key=lambda i: (subs[i]["at"], i))[
            :n
        ]
        if not chosen:
            chosen = sorted(
                ids,
                key=lambda i: sort_key(spec, subs[i]["public"], subs[i]["at"], i),  # type: ignore[arg-type]
            )[:n]
        candidates = [i for i in chosen if subs[i]["private"]]
        if not candidates:
            continue
        top = min(
            candidates,
            key=lambda i: sort_key(spec, subs[i]["private"], subs[i]["at"], i),  # type: ignore[arg-type]
        )
        best[team_id] = (top, subs[top]["at"], subs[top]["name"], subs[top]["private"])  # type: ignore[assignment]
    ordered = sorted(
        best.items(), key=lambda item: sort_key(spec, item[1][3], item[1][1], item[1][0])
    )
    rank_list = ranks(spec, [item[1][3] for item in ordered])
    return [
        BoardRow(rank, team_id, name, sub_id, at, values)
        for rank, (team_id, (sub_id, at, name, values)) in zip(rank_list, ordered, strict=True)
    ]
