"""Whether a judge may review a team's project: the one check the jury's review form calls.

Kept apart from app.projects.reviews (the assignment service, which uses the jury's list of
judges) so that app.jury can ask it without importing that service back: the rule lives
here once, and both the review form and the judges' list of projects apply it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.leaderboard.ranking import has_board
from app.projects.review_models import ConflictDeclaration, ReviewAssignment
from app.teams.models import Team

DEFAULT_REVIEWS = 3


def project_track(config: Mapping[str, Any]) -> bool:
    """A project-only challenge: a `project` section and no board, so its judges review the
    projects assigned to them rather than a board's finalists. A mixed challenge keeps its
    finalists (one review per judge and team cannot serve both)."""
    return bool(config.get("project")) and not has_board(config)


def reviews_per_project(config: Mapping[str, Any]) -> int:
    """k, from the bundle's `project.reviews_per_project` (3 when it says nothing)."""
    section = config.get("project")
    value = section.get("reviews_per_project") if isinstance(section, Mapping) else None
    return value if isinstance(value, int) and value >= 0 else DEFAULT_REVIEWS


def is_assigned(session: Session, challenge_id: int, team_id: int, judge_id: int) -> bool:
    return (
        session.exec(
            select(ReviewAssignment.id).where(
                ReviewAssignment.challenge_id == challenge_id,
                ReviewAssignment.team_id == team_id,
                ReviewAssignment.judge_id == judge_id,
            )
        ).first()
        is not None
    )


def review_refusal(
    session: Session, challenge_id: int, team_id: int, judge_id: int
) -> Refusal | None:
    """Why this judge may not open or rate this team's project, or None if they may.

    A declared conflict is named as such (the judge knows why); otherwise only an
    assignment lets a judge in, so every project gets the independent reviews it was given.
    """
    team = session.get(Team, team_id)
    if team is None or team.challenge_id != challenge_id:
        return Refusal(Kind.not_found, _("This challenge has no such team."), code="no_team")
    declared = session.exec(
        select(ConflictDeclaration.id).where(
            ConflictDeclaration.challenge_id == challenge_id,
            ConflictDeclaration.team_id == team_id,
            ConflictDeclaration.judge_id == judge_id,
        )
    ).first()
    if declared is not None:
        return Refusal(
            Kind.forbidden,
            _(
                "You declared a conflict with team {team}, so you may not review its project."
            ).format(team=team.name),
            code="declared_conflict",
        )
    if not is_assigned(session, challenge_id, team_id, judge_id):
        return Refusal(
            Kind.forbidden,
            _(
                "The project of team {team} is not assigned to you: in this challenge each "
                "judge reviews only the projects the organisers assigned to them."
            ).format(team=team.name),
            code="not_assigned",
        )
    return None
