"""/organise/roles: who runs and judges what, and giving or taking those roles by e-mail.

Admins see every grant; an event's organisers see and give the roles over their event and
its challenges; a challenge's owners those over their challenge. A role is given to an
address, so people can be invited before they have an account (it applies once they sign up
and their address is verified). Roles listed in event.yaml or challenge.yaml are shown but
changed in the file: loading it again would undo a change made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from app.accounts.deps import OrganiserUser, ScopeDep, require_organiser
from app.accounts.models import User
from app.accounts.service import user_by_email
from app.challenges.models import Challenge
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.events.models import Event
from app.i18n import localise
from app.i18n.speech import gettext as _
from app.mail.models import OutboxMail
from app.mail.service import queue_mail
from app.queue.mail_jobs import wake
from app.roles import service
from app.roles.models import RoleGrant, Scoped, Source
from app.roles.service import Scope
from app.web.deps import RowId, SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(prefix="/organise", tags=["roles"], dependencies=[Depends(require_organiser)])
NOTICE = "roles_notice"


@dataclass(frozen=True)
class Choice:
    """One option of the form's "role over what" list, as `kind:id:role`."""

    value: str
    label: str


def _events(db: Session, scope: Scope) -> list[Event]:
    events = db.exec(select(Event).order_by(col(Event.slug))).all()
    return [e for e in events if service.manages_event(db, scope, e)]


def _challenges(db: Session, scope: Scope) -> list[Challenge]:
    ids = service.managed_ids(db, scope)
    stmt = select(Challenge).order_by(col(Challenge.slug))
    if ids is not None:
        stmt = stmt.where(col(Challenge.id).in_(ids))
    return list(db.exec(stmt))


def _choices(events: list[Event], challenges: list[Challenge], lang: str) -> list[Choice]:
    found: list[Choice] = []
    for e in events:
        title = localise(e.title, lang)
        found.append(
            Choice(f"event:{e.id}:organiser", _("Organiser of the event {t}").format(t=title))
        )
        found.append(Choice(f"event:{e.id}:judge", _("Judge of the event {t}").format(t=title)))
    for c in challenges:
        title = localise(c.title, lang)
        found.append(
            Choice(f"challenge:{c.id}:owner", _("Owner of the challenge {t}").format(t=title))
        )
        found.append(
            Choice(f"challenge:{c.id}:judge", _("Judge of the challenge {t}").format(t=title))
        )
    return found


def _visible(
    db: Session, events: list[Event], challenges: list[Challenge], scope: Scope
) -> list[tuple[RoleGrant, User | None]]:
    if scope.admin:
        return service.all_grants(db)
    event_ids = {e.id for e in events}
    challenge_ids = {c.id for c in challenges}
    return [
        (g, u)
        for g, u in service.all_grants(db)
        if (g.event_id is not None and g.event_id in event_ids)
        or (g.challenge_id is not None and g.challenge_id in challenge_ids)
    ]


def _page(
    page: Page, db: Session, scope: Scope, *, problem: str | None = None, status: int = 200
) -> HTMLResponse:
    events = _events(db, scope)
    challenges = _challenges(db, scope)
    notice = page.request.session.pop(NOTICE, None)
    context: dict[str, Any] = {
        "grants": _visible(db, events, challenges, scope),
        "choices": _choices(events, challenges, page.lang),
        "events": {e.id: e for e in db.exec(select(Event)).all()},
        "challenges": {c.id: c for c in db.exec(select(Challenge)).all()},
        "problem": problem,
        "notice": notice,
    }
    return page.render("roles/index.html", context, status=status)


@router.get("/roles", response_class=HTMLResponse, name="organise_roles")
def roles_page(page: PageDep, db: SessionDep, scope: ScopeDep) -> HTMLResponse:
    return _page(page, db, scope)


def _target(
    db: Session, scope: Scope, what: str
) -> tuple[Event | None, Challenge | None, Scoped] | Refusal:
    kind, _sep, rest = what.partition(":")
    number, _sep, role_name = rest.partition(":")
    refused = Refusal(Kind.invalid, _("Choose a role from the list."))
    if not number.isdigit() or role_name not in {r.value for r in Scoped}:
        return refused
    role = Scoped(role_name)
    if kind == "event":
        event = db.get(Event, int(number))
        if event is None or not service.manages_event(db, scope, event):
            return refused
        return event, None, role
    if kind == "challenge":
        challenge = db.get(Challenge, int(number))
        if challenge is None or not service.manages(db, scope, challenge):
            return refused
        return None, challenge, role
    return refused


def _invitation(
    db: Session,
    settings: Settings,
    giver: User,
    grant: RoleGrant,
    event: Event | None,
    challenge: Challenge | None,
) -> OutboxMail:
    """The mail telling the address about its new role, in its owner's language if known."""
    account = user_by_email(db, grant.email)
    over = event if event is not None else challenge
    assert over is not None
    path = "/login" if account is not None else "/signup"
    return queue_mail(
        db,
        settings,
        to=grant.email,
        kind="role_invitation",
        lang=account.language if account is not None else None,
        user_id=account.id if account is not None else None,
        context={
            "giver": giver.name,
            "email": grant.email,
            "role": str(grant.role),
            "over": "event" if event is not None else "challenge",
            "title": dict(over.title),
            "has_account": account is not None,
            "link": settings.base_url.rstrip("/") + path,
        },
    )


@router.post("/roles", response_class=HTMLResponse, name="organise_give_role")
def give_role(
    request: Request,
    user: OrganiserUser,
    db: SessionDep,
    page: PageDep,
    scope: ScopeDep,
    settings: SettingsDep,
    email: str = Form(max_length=320),
    what: str = Form(max_length=80),
) -> Response:
    target = _target(db, scope, what)
    if isinstance(target, Refusal):
        return _page(page, db, scope, problem=target.message, status=status_of(target))
    event, challenge, role = target
    outcome = service.give(db, user, email, role, event=event, challenge=challenge)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _page(page, db, scope, problem=outcome.message, status=status_of(outcome))
    grant, new = outcome
    mail = _invitation(db, settings, user, grant, event, challenge) if new else None
    db.commit()
    if mail is not None:
        wake(settings, [mail])
    request.session[NOTICE] = {"given": grant.email, "mailed": mail is not None}
    return RedirectResponse(request.url_for("organise_roles").path, 303)


@router.post("/roles/{grant_id}/revoke", response_class=HTMLResponse, name="organise_revoke_role")
def revoke_role(
    request: Request,
    grant_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    page: PageDep,
    scope: ScopeDep,
) -> Response:
    grant = db.get(RoleGrant, grant_id)
    if grant is None or grant not in [
        g for g, _u in _visible(db, _events(db, scope), _challenges(db, scope), scope)
    ]:
        refused = Refusal(Kind.not_found, _("There is no such role to take back."))
        return _page(page, db, scope, problem=refused.message, status=status_of(refused))
    if grant.source in (Source.event_yaml, Source.challenge_yaml):
        refused = Refusal(
            Kind.conflict,
            _(
                "{email} is listed in {file}: take them off the list there and load the file "
                "again (a change made here would be undone by the next load)."
            ).format(email=grant.email, file=str(grant.source)),
        )
        return _page(page, db, scope, problem=refused.message, status=status_of(refused))
    service.revoke(db, user, grant)
    db.commit()
    request.session[NOTICE] = {"revoked": grant.email}
    return RedirectResponse(request.url_for("organise_roles").path, 303)
