"""Who may see a submission, and what each audience sees of it.

A submission is visible to its team's members and to the people who run its challenge; for anyone
else it does not exist (callers answer 404, so ids cannot be probed). Private
scores appear only once the challenge revealed them (organisers always see
them). Of the logs, the team reads only what its phase's log policy allows
(`team_logs`): the `participant` half under `full`, an organiser-approved
excerpt under `excerpt`, nothing under `none`; organisers read every audience.
Every channel a team reads logs from (the page, its result fragment, the API)
goes through `view_of`, so the policy is applied in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.models import Challenge, Phase
from app.core.store import Store
from app.roles.service import user_manages
from app.submissions.excerpts import approved_excerpt
from app.submissions.log_policy import LogPolicy, phase_log_policy
from app.submissions.models import LogExcerpt, Score, Submission, SubmissionEvent
from app.teams.models import Membership, Team

PAGE_SIZE = 25
LOG_MAX_CHARS = 200_000


def runs(session: Session, user: User | None, challenge_id: int) -> bool:
    """The reader runs this challenge (its owners, its event's organisers, admins)."""
    if user is None:
        return False
    challenge = session.get(Challenge, challenge_id)
    return challenge is not None and user_manages(session, user, challenge)


def is_member(session: Session, team_id: int, user_id: int) -> bool:
    stmt = select(Membership.id).where(Membership.team_id == team_id, Membership.user_id == user_id)
    return session.exec(stmt).first() is not None


def visible_submission(
    session: Session, user: User | None, submission_id: int
) -> Submission | None:
    """The submission if `user` may see it; None both when it is missing and when it is not theirs."""
    if user is None or user.id is None:
        return None
    submission = session.get(Submission, submission_id)
    if submission is None:
        return None
    if is_member(session, submission.team_id, user.id) or runs(
        session, user, submission.challenge_id
    ):
        return submission
    return None


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime
    detail: str


@dataclass(frozen=True)
class SubmissionView:
    submission: Submission
    challenge: Challenge
    phase: Phase
    team: Team
    history: list[StatusChange]
    scores: dict[str, dict[str, float]]  # split -> column key -> value
    logs: dict[str, dict[str, str]]  # audience -> name -> text
    private_hidden: bool
    log_policy: LogPolicy
    excerpt: LogExcerpt | None  # the approved excerpt of this run's log, if any
    organiser: bool = False  # the reader runs this challenge: every log, private scores


def current_scores(session: Session, submission_id: int) -> dict[str, dict[str, float]]:
    return current_scores_of(session, [submission_id]).get(submission_id, {})


def current_scores_of(
    session: Session, submission_ids: list[int]
) -> dict[int, dict[str, dict[str, float]]]:
    """Current scores of many submissions in one query (a list page must not ask per row)."""
    if not submission_ids:
        return {}
    rows = session.exec(
        select(Score)
        .where(col(Score.submission_id).in_(submission_ids), col(Score.current).is_(True))
        .order_by(col(Score.split), col(Score.key))
    ).all()
    scores: dict[int, dict[str, dict[str, float]]] = {}
    for row in rows:
        scores.setdefault(row.submission_id, {}).setdefault(row.split, {})[row.key] = row.value
    return scores


# Who reads which audience of the stored logs; `withheld` is the program's output when it ran
# on hidden inputs (see judging.result), for organisers only whatever the policy says now.
TEAM_AUDIENCES = ("participant",)
STAFF_AUDIENCES = ("participant", "withheld", "organiser")
EXCERPT_AUDIENCE = "excerpt"


def read_logs(store: Store, logs_sha256: str | None, organiser: bool) -> dict[str, Any]:
    if not logs_sha256 or not store.exists(logs_sha256):
        return {}
    with store.open(logs_sha256) as fh:
        try:
            data = json.loads(fh.read().decode("utf-8", "replace"))
        except ValueError:
            return {}
    if not isinstance(data, dict):
        return {}
    audiences = STAFF_AUDIENCES if organiser else TEAM_AUDIENCES
    logs: dict[str, Any] = {}
    for audience in audiences:
        part = data.get(audience)
        if isinstance(part, dict):
            logs[audience] = {str(k): str(v)[-LOG_MAX_CHARS:] for k, v in part.items()}
    return logs


def team_logs(
    store: Store, submission: Submission, policy: LogPolicy, excerpt: LogExcerpt | None
) -> dict[str, Any]:
    """What the team reads of a run's logs under its phase's policy (applied at every read).

    The policy is applied here as well as in judging, so that tightening it (a reloaded
    bundle) hides the logs of runs judged before, and a run stored under `participant`
    while the policy was `full` is not shown once it is not.
    """
    if policy.team_sees_output:
        return read_logs(store, submission.logs_sha256, organiser=False)
    if policy.mode == "excerpt" and excerpt is not None:
        return {EXCERPT_AUDIENCE: {"log": excerpt.text}}
    return {}


def view_of(session: Session, store: Store, user: User, submission: Submission) -> SubmissionView:
    assert submission.id is not None
    challenge = session.get(Challenge, submission.challenge_id)
    phase = session.get(Phase, submission.phase_id)
    team = session.get(Team, submission.team_id)
    assert challenge is not None and phase is not None and team is not None
    events = session.exec(
        select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission.id)
        .order_by(col(SubmissionEvent.at), col(SubmissionEvent.id))
    ).all()
    organiser = user_manages(session, user, challenge)
    scores = current_scores(session, submission.id)
    private_hidden = not (organiser or challenge.private_revealed)
    if private_hidden:
        scores = {split: v for split, v in scores.items() if split != "private"}
    policy = phase_log_policy(challenge.config, phase)
    excerpt = approved_excerpt(session, submission) if policy.mode == "excerpt" else None
    if organiser:
        logs = read_logs(store, submission.logs_sha256, organiser=True)
    else:
        logs = team_logs(store, submission, policy, excerpt)
    return SubmissionView(
        submission=submission,
        challenge=challenge,
        phase=phase,
        team=team,
        history=[StatusChange(e.status, e.at, e.detail) for e in events],
        scores=scores,
        logs=logs,
        private_hidden=private_hidden,
        organiser=organiser,
        log_policy=policy,
        excerpt=excerpt,
    )


@dataclass(frozen=True)
class SubmissionPage:
    items: list[Submission]
    next_before: int | None  # pass as `before` for the next (older) page


def team_submissions(
    session: Session,
    team_id: int,
    *,
    phase_id: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> SubmissionPage:
    """Newest first, by keyset on (created_at, id): as fast on page 200 as on page 1."""
    limit = max(1, min(limit, 100))
    conditions: list[Any] = [col(Submission.team_id) == team_id]
    if phase_id is not None:
        conditions.append(col(Submission.phase_id) == phase_id)
    if before is not None:
        cursor = session.get(Submission, before)
        if cursor is not None and cursor.team_id == team_id:
            conditions.append(
                or_(
                    col(Submission.created_at) < cursor.created_at,
                    and_(
                        col(Submission.created_at) == cursor.created_at,
                        col(Submission.id) < before,
                    ),
                )
            )
    rows = list(
        session.exec(
            select(Submission)
            .where(*conditions)
            .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    items = rows[:limit]
    return SubmissionPage(items, items[-1].id if more and items else None)
