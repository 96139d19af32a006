"""Who takes part: approving teams, disqualifying them with a reason, cancelling submissions.

A disqualification keeps its reason on the team row (the team sees it and new
submissions are refused with it), and nothing is deleted: reinstating a team
is just clearing the reason, and its scores come back with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge, Phase
from app.core.db import MAX_ROW_ID
from app.core.refusal import Kind, Refusal
from app.i18n.judged import status_label
from app.i18n.speech import gettext as _
from app.i18n.speech import translations
from app.leaderboard.ranking import BoardSpec
from app.submissions.lifecycle import cancel
from app.submissions.models import Score, Status, Submission
from app.teams.models import Membership, Team

REASON_MAX = 2000


def teams_of(session: Session, challenge_id: int) -> list[Team]:
    stmt = select(Team).where(Team.challenge_id == challenge_id).order_by(col(Team.name))
    return list(session.exec(stmt))


def excluded_team_ids(session: Session, challenge_id: int) -> set[int]:
    """Teams kept off the public boards: disqualified ones (for `read_board`'s callers)."""
    stmt = select(Team.id).where(
        Team.challenge_id == challenge_id, col(Team.disqualified_reason).is_not(None)
    )
    return {team_id for team_id in session.exec(stmt) if team_id is not None}


def _team(session: Session, challenge: Challenge, team_id: int) -> Team | Refusal:
    team = session.get(Team, team_id)
    if team is None or team.challenge_id != challenge.id:
        return Refusal(
            Kind.not_found,
            _("This challenge has no team number {number}.").format(number=team_id),
            "no_team",
        )
    return team


def approve_team(
    session: Session, actor: User, challenge: Challenge, team_id: int
) -> Team | Refusal:
    team = _team(session, challenge, team_id)
    if isinstance(team, Refusal) or team.approved:
        return team
    team.approved = True
    session.add(team)
    record(session, actor, challenge.id, "team.approve", team.name, {"team_id": team.id})
    return team


def disqualify_team(
    session: Session, actor: User, challenge: Challenge, team_id: int, reason: str
) -> Team | Refusal:
    """The reason is required: the team reads it, and an appeal starts from it."""
    team = _team(session, challenge, team_id)
    if isinstance(team, Refusal):
        return team
    reason = reason.strip()
    if not reason:
        return Refusal(
            Kind.invalid,
            _("Write the reason for the disqualification; the team sees it."),
            "no_reason",
            "reason",
        )
    if len(reason) > REASON_MAX:
        return Refusal(
            Kind.invalid,
            _("Keep the reason under {limit} characters.").format(limit=REASON_MAX),
            "reason_too_long",
            "reason",
        )
    team.disqualified_reason = reason
    session.add(team)
    record(
        session,
        actor,
        challenge.id,
        "team.disqualify",
        team.name,
        {"team_id": team.id, "reason": reason},
    )
    return team


def reinstate_team(
    session: Session, actor: User, challenge: Challenge, team_id: int
) -> Team | Refusal:
    team = _team(session, challenge, team_id)
    if isinstance(team, Refusal) or team.disqualified_reason is None:
        return team
    previous = team.disqualified_reason
    team.disqualified_reason = None
    session.add(team)
    record(
        session,
        actor,
        challenge.id,
        "team.reinstate",
        team.name,
        {"team_id": team.id, "previous_reason": previous},
    )
    return team


def cancel_submission(
    session: Session, actor: User, challenge: Challenge, submission_id: int, reason: str
) -> Submission | Refusal:
    submission = session.get(Submission, submission_id)
    if submission is None or submission.challenge_id != challenge.id:
        return Refusal(
            Kind.not_found,
            _("This challenge has no submission number {number}.").format(number=submission_id),
            "no_submission",
        )
    message = f"Cancelled by the organisers: {reason.strip() or 'no reason given'}"
    if not cancel(session, submission_id, message):
        return Refusal(
            Kind.conflict,
            _(
                "Submission {number} is {status}; only queued or running submissions can be "
                "cancelled."
            ).format(number=submission_id, status=status_label(submission.status, translations())),
            "not_cancellable",
        )
    record(
        session,
        actor,
        challenge.id,
        "submission.cancel",
        f"submission {submission_id}",
        {"submission_id": submission_id, "team_id": submission.team_id, "reason": reason.strip()},
    )
    return submission


def recent_submissions(session: Session, challenge_id: int, limit: int = 200) -> list[Submission]:
    stmt = (
        select(Submission)
        .where(Submission.challenge_id == challenge_id)
        .order_by(col(Submission.created_at).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    email: str
    captain: bool


@dataclass(frozen=True)
class TeamFacts:
    """A team as the organisers' page lists it: who is in it and how it has fared."""

    team: Team
    members: list[Member]
    submissions: int
    scored: int
    failed: int
    best: float | None  # best public score on the board's ranking column


def _ranking(challenge: Challenge) -> tuple[str, str] | None:
    """The board's ranking column and whether higher or lower is better, if the bundle has one."""
    try:
        spec = BoardSpec.from_config(challenge.config)
        return spec.rank_by, spec.column(spec.rank_by).better
    except (KeyError, StopIteration, TypeError):
        return None


def team_facts(session: Session, challenge: Challenge) -> list[TeamFacts]:
    """Every team with its members (captain first) and counts, in four queries whatever the
    number of teams: the page must stay quick for a city-wide event."""
    assert challenge.id is not None
    teams = teams_of(session, challenge.id)
    members: dict[int, list[Member]] = {}
    for membership, user in session.exec(
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.challenge_id == challenge.id)
        .order_by(col(Membership.joined_at), col(Membership.id))
    ).all():
        assert user.id is not None
        members.setdefault(membership.team_id, []).append(
            Member(user.id, user.name, user.email, False)
        )
    counts: dict[int, dict[str, int]] = {}
    for team_id, status, count in session.exec(
        select(Submission.team_id, Submission.status, func.count())
        .where(Submission.challenge_id == challenge.id)
        .group_by(col(Submission.team_id), col(Submission.status))
    ).all():
        counts.setdefault(team_id, {})[str(status)] = int(count)
    best: dict[int, float] = {}
    ranking = _ranking(challenge)
    if ranking is not None:
        key, better = ranking
        pick = func.max if better == "higher" else func.min
        for team_id, value in session.exec(
            select(Submission.team_id, pick(Score.value))
            .join(Score, col(Score.submission_id) == col(Submission.id))
            .where(
                Submission.challenge_id == challenge.id,
                col(Score.current).is_(True),
                Score.split == "public",
                Score.key == key,
                Submission.status == Status.scored,
            )
            .group_by(col(Submission.team_id))
        ).all():
            if value is not None:
                best[team_id] = float(value)
    facts = []
    for team in teams:
        assert team.id is not None
        mine = [
            Member(m.user_id, m.name, m.email, m.user_id == team.captain_id)
            for m in members.get(team.id, [])
        ]
        mine.sort(key=lambda m: not m.captain)
        by_status = counts.get(team.id, {})
        facts.append(
            TeamFacts(
                team,
                mine,
                sum(by_status.values()),
                by_status.get(Status.scored.value, 0),
                by_status.get(Status.failed.value, 0),
                best.get(team.id),
            )
        )
    return facts


PAGE_SIZE = 50


@dataclass(frozen=True)
class SubmissionFilter:
    """What the submissions list is narrowed to; None is everything."""

    team_id: int | None = None
    status: Status | None = None
    phase: str | None = None

    @classmethod
    def read(cls, team: str, status: str, phase: str) -> SubmissionFilter:
        """From the query string, ignoring what is not a team number or a known status:
        a filter form left at "any" sends empty values."""
        number = int(team) if team.strip().isdigit() and len(team.strip()) <= 10 else None
        return cls(
            number if number is not None and number <= MAX_ROW_ID else None,
            Status(status) if status in Status.__members__ else None,
            phase.strip() or None,
        )


@dataclass(frozen=True)
class SubmissionRow:
    submission: Submission
    team: str
    phase: str
    score: float | None


@dataclass(frozen=True)
class SubmissionPage:
    rows: list[SubmissionRow]
    total: int
    page: int
    pages: int


def submission_page(
    session: Session, challenge: Challenge, chosen: SubmissionFilter, page: int = 1
) -> SubmissionPage:
    """Newest first, `PAGE_SIZE` a page, each with its public score on the ranking column."""
    assert challenge.id is not None
    where = [col(Submission.challenge_id) == challenge.id]
    if chosen.team_id is not None:
        where.append(col(Submission.team_id) == chosen.team_id)
    if chosen.status is not None:
        where.append(col(Submission.status) == chosen.status)
    if chosen.phase is not None:
        where.append(col(Phase.name) == chosen.phase)
    total = int(
        session.exec(
            select(func.count())
            .select_from(Submission)
            .join(Phase, col(Phase.id) == col(Submission.phase_id))
            .where(*where)
        ).one()
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    found = session.exec(
        select(Submission, Team.name, Phase.name)
        .join(Team, col(Team.id) == col(Submission.team_id))
        .join(Phase, col(Phase.id) == col(Submission.phase_id))
        .where(*where)
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    scores: dict[int, float] = {}
    ranking = _ranking(challenge)
    ids = [s.id for s, _team, _phase in found if s.id is not None]
    if ranking is not None and ids:
        for submission_id, value in session.exec(
            select(Score.submission_id, Score.value).where(
                col(Score.submission_id).in_(ids),
                col(Score.current).is_(True),
                Score.split == "public",
                Score.key == ranking[0],
            )
        ).all():
            scores[submission_id] = value
    rows = [
        SubmissionRow(s, team, phase, scores.get(s.id) if s.id is not None else None)
        for s, team, phase in found
    ]
    return SubmissionPage(rows, total, page, pages)
