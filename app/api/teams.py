"""/api/v1 teams: your team in a challenge; create, join, leave, hand over, new code.

Every action answers with the team as it is afterwards (or 204 after leaving),
and every refusal with the service's own sentence in the one error body.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlmodel import Session

from app.accounts.deps import CurrentUser, SubmitUser
from app.accounts.models import User
from app.api.schemas import ErrorBody, HandOverIn, MemberOut, TeamCreateIn, TeamJoinIn, TeamOut
from app.challenges.models import Challenge
from app.core.refusal import Refusal
from app.submissions.context import published_challenge
from app.teams import service
from app.teams.models import Team
from app.teams.web import invite_link
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import Refused, unwrap

router = APIRouter(
    prefix="/api/v1",
    tags=["teams"],
    responses={404: {"model": ErrorBody}, 401: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)


def challenge_or_404(session: Session, slug: str) -> Challenge:
    return unwrap(published_challenge(session, slug))


def team_out(
    request: Request, session: Session, challenge: Challenge, team: Team, user: User
) -> dict[str, Any]:
    assert team.id is not None
    rows = service.members(session, team.id)
    names = {u.id: u.name for u in (session.get(User, m.user_id) for m in rows) if u is not None}
    captain = team.captain_id == user.id
    return {
        "id": team.id,
        "name": team.name,
        "challenge": challenge.slug,
        "captain_id": team.captain_id,
        "approved": team.approved,
        "members": [
            MemberOut(
                user_id=m.user_id,
                name=names.get(m.user_id, "?"),
                captain=m.user_id == team.captain_id,
                joined_at=m.joined_at,
            )
            for m in rows
        ],
        "invite_code": team.invite_code if captain else None,
        "invite_link": invite_link(request, challenge, team) if captain else None,
    }


def my_team(session: Session, challenge: Challenge, user: User) -> Team:
    assert challenge.id is not None and user.id is not None
    team = service.team_of(session, challenge.id, user.id)
    if team is None:
        raise HTTPException(404, "You are not in a team for this challenge.")
    return team


@router.get("/challenges/{slug}/team", response_model=TeamOut)
def get_team(request: Request, slug: str, user: CurrentUser, db: SessionDep) -> dict[str, Any]:
    challenge = challenge_or_404(db, slug)
    return team_out(request, db, challenge, my_team(db, challenge, user), user)


@router.post("/challenges/{slug}/teams", response_model=TeamOut, status_code=201)
def create_team(
    request: Request, slug: str, body: TeamCreateIn, user: SubmitUser, db: SessionDep
) -> dict[str, Any]:
    challenge = challenge_or_404(db, slug)
    assert user.id is not None
    made = service.create_team(db, challenge, user.id, body.name)
    if isinstance(made, Refusal):
        db.rollback()
        raise Refused(made)
    db.commit()
    return team_out(request, db, challenge, made, user)


@router.post("/challenges/{slug}/team/join", response_model=TeamOut)
def join_team(
    request: Request,
    slug: str,
    body: TeamJoinIn,
    user: SubmitUser,
    db: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Join with the team's invitation `code`, or the `token` of an invitation link."""
    challenge = challenge_or_404(db, slug)
    assert user.id is not None
    if body.code:
        joined = service.join_by_code(db, challenge, user.id, body.code)
    elif body.token:
        secret = settings.resolved_secret_key()
        joined = service.join_by_link(db, challenge, user.id, body.token, secret)
    else:
        raise HTTPException(422, "Send the invitation `code` or the `token` of an invitation link.")
    if isinstance(joined, Refusal):
        db.rollback()
        raise Refused(joined)
    db.commit()
    return team_out(request, db, challenge, joined, user)


@router.post("/challenges/{slug}/team/leave", status_code=204)
def leave_team(slug: str, user: SubmitUser, db: SessionDep) -> Response:
    challenge = challenge_or_404(db, slug)
    assert user.id is not None
    refused = service.leave(db, my_team(db, challenge, user), user.id)
    if refused is not None:
        db.rollback()
        raise Refused(refused)
    db.commit()
    return Response(status_code=204)


@router.post("/challenges/{slug}/team/captain", response_model=TeamOut)
def hand_over(
    request: Request, slug: str, body: HandOverIn, user: SubmitUser, db: SessionDep
) -> dict[str, Any]:
    challenge = challenge_or_404(db, slug)
    assert user.id is not None
    result = service.hand_over(db, my_team(db, challenge, user), user.id, body.user_id)
    if isinstance(result, Refusal):
        db.rollback()
        raise Refused(result)
    db.commit()
    return team_out(request, db, challenge, result, user)


@router.post("/challenges/{slug}/team/code", response_model=TeamOut)
def regenerate_code(
    request: Request, slug: str, user: SubmitUser, db: SessionDep
) -> dict[str, Any]:
    """A new invitation code; every code and link given out before stops working."""
    challenge = challenge_or_404(db, slug)
    assert user.id is not None
    made = service.new_code(db, my_team(db, challenge, user), user.id)
    if isinstance(made, Refusal):
        db.rollback()
        raise Refused(made)
    db.commit()
    return team_out(request, db, challenge, made, user)
