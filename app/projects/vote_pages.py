"""People's choice on the site: the vote page of a challenge and the organisers' votes page.

/challenges/{slug}/vote lists the teams that can receive votes, with a vote or withdraw
button for a signed-in reader, and their own votes (a voided one says so). Before the reveal
it is built from the teams and the reader's own votes only, never from a count, so watching
it (its body, headers or size) tells nobody how the vote goes; after the reveal it shows the
counts and the ranking, ties as ties. /organise/{slug}/votes lists every vote with the flags
app/projects/vote_flags.py raises, a void (with a mandatory reason) per vote and the reveal,
both behind a confirmation and both in the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.deps import CurrentUser, OptionalUser, OrganiserUser, require_organiser
from app.accounts.models import User
from app.accounts.requests import client_ip
from app.challenges.models import Challenge
from app.challenges.web import OrganisedChallenge, PublishedChallenge
from app.core.db import utcnow
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.projects import votes
from app.projects.vote_models import REASON_MAX
from app.teams.service import team_of
from app.web.deps import RowId, SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(tags=["votes"])
organise_router = APIRouter(
    prefix="/organise", tags=["votes"], dependencies=[Depends(require_organiser)]
)
NOTICE = "votes_notice"
FORM_MAX = 4 * REASON_MAX


def _window_or_404(challenge: Challenge) -> votes.Window:
    window = votes.window_of(challenge)
    if window is None:
        raise HTTPException(404, "This challenge has no people's choice vote.")
    return window


def _vote_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    user: User | None,
    *,
    problem: Refusal | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    window = _window_or_404(challenge)
    own = mine = None
    if user is not None and user.id is not None:
        own_team = team_of(db, challenge.id, user.id)
        own = own_team.id if own_team is not None else None
        mine = votes.mine(db, challenge.id, user.id)
    shown = votes.revealed(db, challenge.id)
    context: dict[str, Any] = {
        "challenge": challenge,
        "window": window,
        "state": window.state(utcnow()),
        "time_zone": votes.time_zone_for(db, challenge),
        "teams": votes.votable_teams(db, challenge),
        "user": user,
        "own_team": own,
        "mine": {v.team_id: v for v in mine or []},
        "left": window.max_votes - votes.live_count(mine or []),
        "revealed": shown,
        # Only after the reveal: before it, nothing on this page may depend on a count.
        "standings": votes.tally(db, challenge) if shown is not None else None,
        "problem": problem,
        "notice": page.request.session.pop(NOTICE, None),
    }
    status = status_of(problem) if problem is not None else 200
    return page.render("projects/vote.html", context, status=status)


@router.get("/challenges/{slug}/vote", response_class=HTMLResponse, name="vote_page")
def vote_page(
    user: OptionalUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _vote_page(page, db, challenge, user)


def _address(request: Request, settings: Settings, challenge: Challenge) -> str | None:
    host = client_ip(request)
    if host == "unknown":
        return None
    assert challenge.id is not None
    return votes.hashed_address(settings.resolved_secret_key(), challenge.id, host)


@router.post("/challenges/{slug}/vote", response_class=HTMLResponse, name="cast_vote")
def cast_vote(
    request: Request,
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    team_id: int = Form(ge=1, le=2**31 - 1),
) -> Response:
    _window_or_404(challenge)
    outcome = votes.cast(db, challenge, user, team_id, _address(request, settings, challenge))
    if isinstance(outcome, Refusal):
        db.rollback()
        return _vote_page(page, db, challenge, user, problem=outcome)
    db.commit()
    request.session[NOTICE] = {"done": "voted", "team": outcome.team_id}
    return RedirectResponse(request.url_for("vote_page", slug=challenge.slug).path, 303)


@router.post("/challenges/{slug}/vote/withdraw", response_class=HTMLResponse, name="withdraw_vote")
def withdraw_vote(
    request: Request,
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    team_id: int = Form(ge=1, le=2**31 - 1),
) -> Response:
    _window_or_404(challenge)
    outcome = votes.withdraw(db, challenge, user, team_id)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _vote_page(page, db, challenge, user, problem=outcome)
    db.commit()
    request.session[NOTICE] = {"done": "withdrawn", "team": team_id}
    return RedirectResponse(request.url_for("vote_page", slug=challenge.slug).path, 303)


def _organisers_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    problem: Refusal | None = None,
    about: int | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    window = _window_or_404(challenge)
    context: dict[str, Any] = {
        "challenge": challenge,
        "window": window,
        "state": window.state(utcnow()),
        "time_zone": votes.time_zone_for(db, challenge),
        "rows": votes.for_organisers(db, challenge),
        "standings": votes.tally(db, challenge),
        "revealed": votes.revealed(db, challenge.id),
        "problem": problem,
        "about": about,
        "reason_max": REASON_MAX,
        "notice": page.request.session.pop(NOTICE, None),
    }
    status = status_of(problem) if problem is not None else 200
    return page.render("projects/vote_organise.html", context, status=status)


@organise_router.get("/{slug}/votes", response_class=HTMLResponse, name="organise_votes")
def organise_votes(challenge: OrganisedChallenge, db: SessionDep, page: PageDep) -> HTMLResponse:
    return _organisers_page(page, db, challenge)


@organise_router.post("/{slug}/votes/{vote_id}/void", name="organise_void_vote")
def void_vote(
    request: Request,
    vote_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    reason: str = Form("", max_length=FORM_MAX),
) -> Response:
    _window_or_404(challenge)
    outcome = votes.void(db, challenge, user, vote_id, reason)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _organisers_page(page, db, challenge, problem=outcome, about=vote_id)
    db.commit()
    request.session[NOTICE] = {"done": "voided", "vote": vote_id}
    return RedirectResponse(request.url_for("organise_votes", slug=challenge.slug).path, 303)


@organise_router.post("/{slug}/votes/reveal", name="organise_reveal_votes")
def reveal_votes(
    request: Request,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
) -> Response:
    _window_or_404(challenge)
    outcome = votes.reveal(db, challenge, user)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _organisers_page(page, db, challenge, problem=outcome)
    db.commit()
    request.session[NOTICE] = {"done": "revealed"}
    return RedirectResponse(request.url_for("organise_votes", slug=challenge.slug).path, 303)
