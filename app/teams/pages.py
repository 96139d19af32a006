"""The team page of a challenge: form a team, invite, leave, hand over captaincy.

Every action is a plain POST form followed by a redirect (no JavaScript), and
every refusal re-renders the page with the service's own sentence.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.deps import CurrentUser, MailLimiterDep
from app.accounts.models import User
from app.accounts.ratelimit import Blocked, Quiet, Unavailable
from app.accounts.requests import client_ip
from app.accounts.service import email_problem, normalise_email, user_by_email
from app.challenges.models import Challenge
from app.challenges.web import PublishedChallenge
from app.core.db import MAX_ROW_ID
from app.core.refusal import Refusal
from app.i18n.speech import gettext as _
from app.mail.models import MailKind
from app.mail.service import queue_mail
from app.queue.mail_jobs import wake
from app.teams import service
from app.teams.models import Team
from app.teams.web import invite_link
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter()

NOTICES = {
    "created": ("Squadra creata.", "Team created."),
    "joined": ("Sei entrato nella squadra.", "You joined the team."),
    "left": ("Hai lasciato la squadra.", "You left the team."),
    "handed_over": ("Capitano cambiato.", "Captaincy handed over."),
    "invited": (
        "Invito inviato: arriva tra pochi minuti. Chi lo riceve entra nella squadra solo se "
        "apre il link e conferma.",
        "Invitation sent: it arrives within a few minutes. The person joins only if they "
        "open the link and confirm.",
    ),
    "new_code": (
        "Nuovo codice creato: il codice e i link precedenti non valgono più.",
        "New code made: the old code and links no longer work.",
    ),
}


def _page(
    page: Page,
    session: Session,
    challenge: Challenge,
    user: User,
    *,
    error: str | None = None,
    invite_error: str | None = None,
    invite_address: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    assert challenge.id is not None and user.id is not None
    request = page.request
    team = service.team_of(session, challenge.id, user.id)
    members: list[tuple[int, str, bool]] = []
    link = None
    if team is not None and team.id is not None:
        for m in service.members(session, team.id):
            person = session.get(User, m.user_id)
            members.append(
                (m.user_id, person.name if person else "?", m.user_id == team.captain_id)
            )
        if team.captain_id == user.id:
            link = invite_link(request, challenge, team)
    notice_key = request.session.pop("team_notice", None)
    notice = NOTICES.get(notice_key or "")
    min_size, max_size = service.team_limits(challenge)
    return page.render(
        "teams/team.html",
        {
            "challenge": challenge,
            "team": team,
            "members": members,
            "is_captain": team is not None and team.captain_id == user.id,
            "invite_link": link,
            "error": error,
            "invite_error": invite_error,
            "invite_address": invite_address,
            "notice": (notice[0] if page.lang == "it" else notice[1]) if notice else None,
            "min_size": min_size,
            "max_size": max_size,
            "me": user,
        },
        status=status_code,
    )


def _done(request: Request, slug: str, notice: str) -> Response:
    request.session["team_notice"] = notice
    return RedirectResponse(str(request.url_for("team_page", slug=slug)), status_code=303)


# Every route takes the challenge after the user (`PublishedChallenge`): an anonymous visitor
# is sent to log in before an unknown challenge is a 404.


@router.get("/challenges/{slug}/team", response_class=HTMLResponse, name="team_page")
def team_page(
    user: CurrentUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _page(page, db, challenge, user)


# A refusal shows the page again with its reason; the status says what kind of refusal it was
# (the same as the API's, from `app.web.errors`).


def _result(
    page: Page,
    db: Session,
    challenge: Challenge,
    user: User,
    outcome: Team | Refusal | None,
    notice: str,
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _page(page, db, challenge, user, error=outcome.message, status_code=status)
    db.commit()
    return _done(page.request, challenge.slug, notice)


@router.post("/challenges/{slug}/team/create", name="team_create")
def create(
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    name: Annotated[str, Form()] = "",
) -> Response:
    assert user.id is not None
    made = service.create_team(db, challenge, user.id, name)
    return _result(page, db, challenge, user, made, "created")


@router.post("/challenges/{slug}/team/join", name="team_join_code")
def join_code(
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    assert user.id is not None
    joined = service.join_by_code(db, challenge, user.id, code)
    return _result(page, db, challenge, user, joined, "joined")


@router.get("/challenges/{slug}/join/{token}", response_class=HTMLResponse, name="team_join_link")
def join_link_page(
    token: str, user: CurrentUser, challenge: PublishedChallenge, page: PageDep
) -> HTMLResponse:
    """A confirmation page: following a link must never change anything by itself."""
    return page.render("teams/join.html", {"challenge": challenge, "token": token})


@router.post("/challenges/{slug}/join/{token}", name="team_join_link_post")
def join_link(
    token: str,
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    settings: SettingsDep,
    page: PageDep,
) -> Response:
    assert user.id is not None
    joined = service.join_by_link(db, challenge, user.id, token, settings.resolved_secret_key())
    return _result(page, db, challenge, user, joined, "joined")


def _my_team(db: Session, challenge: Challenge, user: User) -> Team:
    assert challenge.id is not None and user.id is not None
    team = service.team_of(db, challenge.id, user.id)
    if team is None:
        raise HTTPException(404, "You are not in a team for this challenge.")
    return team


@router.post("/challenges/{slug}/team/leave", name="team_leave")
def leave(
    user: CurrentUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> Response:
    assert user.id is not None
    refused = service.leave(db, _my_team(db, challenge, user), user.id)
    return _result(page, db, challenge, user, refused, "left")


@router.post("/challenges/{slug}/team/captain", name="team_hand_over")
def hand_over(
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    user_id: Annotated[int, Form(ge=0, le=MAX_ROW_ID)] = 0,
) -> Response:
    assert user.id is not None
    result = service.hand_over(db, _my_team(db, challenge, user), user.id, user_id)
    return _result(page, db, challenge, user, result, "handed_over")


@router.post("/challenges/{slug}/team/code", name="team_regenerate")
def regenerate(
    user: CurrentUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> Response:
    assert user.id is not None
    made = service.new_code(db, _my_team(db, challenge, user), user.id)
    return _result(page, db, challenge, user, made, "new_code")


@router.post("/challenges/{slug}/team/invite", name="team_invite_mail")
def invite_by_mail(
    request: Request,
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    limiter: MailLimiterDep,
    email: Annotated[str, Form()] = "",
) -> Response:
    """The captain mails the team's invitation link to an address. The mail carries the link
    the page shows (the person still confirms on the site), in the language of the account
    that has the address, else the captain's. Counted like every request that sends mail."""
    assert user.id is not None
    team = _my_team(db, challenge, user)
    if team.captain_id != user.id:
        raise HTTPException(403, _("Only the captain can invite people to the team."))
    address = normalise_email(email)
    problem = email_problem(address) if address else _("Write the address to invite.")
    if problem:
        return _page(
            page, db, challenge, user, invite_error=problem, invite_address=email, status_code=422
        )
    verdict = limiter.hit(ip=client_ip(request), address=address)
    if isinstance(verdict, Blocked | Unavailable):
        message = (
            verdict.message
            if isinstance(verdict, Unavailable)
            else _("Too many invitations at once: try again in a few minutes.")
        )
        return _page(
            page, db, challenge, user, invite_error=message, invite_address=email, status_code=429
        )
    if not isinstance(verdict, Quiet):
        invitee = user_by_email(db, address)
        mail = queue_mail(
            db,
            settings,
            to=address,
            kind=MailKind.team_invitation,
            lang=invitee.language if invitee and invitee.language else page.lang,
            context={
                "inviter": user.name,
                "team": team.name,
                "challenge": {"title": challenge.title, "slug": challenge.slug},
                "link": invite_link(request, challenge, team),
            },
            user_id=invitee.id if invitee else None,
        )
        db.commit()
        wake(settings, [mail])
    return _done(request, challenge.slug, "invited")
