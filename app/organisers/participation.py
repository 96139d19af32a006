"""Who takes part: approving teams, disqualifying them with a reason, cancelling submissions.

A disqualification keeps its reason on the team row (the team sees it and new
submissions are refused with it), and nothing is deleted: reinstating a team
is just clearing the reason, and its scores come back with it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge
from app.core.refusal import Kind, Refusal
from app.i18n.judged import status_label
from app.i18n.speech import gettext as _
from app.i18n.speech import translations
from app.submissions.lifecycle import cancel
from app.submissions.models import Submission
from app.teams.models import Team

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
