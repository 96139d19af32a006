"""Announcements on the site: the archives, the live banner's stream, and the organisers' page.

A challenge's organisers write on /organise/{slug}/announcements (closed to its competitors
like every staff page of a challenge), an event's on /events/{slug}/announcements/manage (a
track's there too, `?track=`). After each commit the change goes out on Redis, on the
channel of every page that shows it (the challenge's, or the event's and each of its
challenges'), and each reader's stream (/announcements/events) decides, from the
announcement's place and audience alone, whether that reader may read it: someone outside
the audience receives nothing at all, only the keep-alives of the fixed schedule.

Pinned announcements are drawn at the top of the challenge, event and team pages by the
`announcements_here` template global, so those pages' handlers need not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from app.accounts.deps import (
    CurrentUser,
    OptionalUser,
    ScopeDep,
    get_optional_user,
    require_organiser,
)
from app.accounts.models import User
from app.announcements import service
from app.announcements.models import Announcement, Audience
from app.announcements.service import Draft, Place, Reader, Target
from app.challenges.models import Challenge
from app.challenges.service import challenge_by_slug
from app.challenges.web import OrganisedChallenge, PublishedChallenge
from app.core.redis import redis_client
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.events.models import Event
from app.events.service import event_by_slug
from app.i18n import localise
from app.i18n.speech import gettext as _
from app.leaderboard.boards import competes_in
from app.live import sse
from app.live.events import publish
from app.live.hub import EventHub
from app.queue.mail_jobs import wake
from app.text.markdown import render_markdown
from app.text.timefmt import local_time
from app.web.deps import RowId, SessionDep, SettingsDep, get_language
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(tags=["announcements"])
# The challenge's organisers' page: app.main mounts it with the staff pages' dependencies.
staff_router = APIRouter(
    prefix="/organise", tags=["announcements"], dependencies=[Depends(require_organiser)]
)
NOTICE = "announcements_notice"
EVENT = "announcement"
REMOVED = "announcement_removed"


def challenge_channel(challenge_id: int) -> str:
    return f"marea:events:announcements:challenge:{challenge_id}"


def event_channel(event_id: int) -> str:
    return f"marea:events:announcements:event:{event_id}"


# --- what a page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One announcement as a reader reads it."""

    id: int
    title: str
    body: Markup
    pinned: bool
    when: Markup
    edited: Markup | None
    where: str


def _where(db: Session, a: Announcement, lang: str) -> str:
    if a.challenge_id is not None:
        challenge = db.get(Challenge, a.challenge_id)
        return localise(challenge.title, lang) if challenge else ""
    event = db.get(Event, a.event_id) if a.event_id is not None else None
    title = localise(event.title, lang) if event else ""
    return f"{title} · {a.track}" if a.track else title


def shown(db: Session, items: list[Announcement], lang: str, time_zone: str | None) -> list[Shown]:
    found = []
    for a in items:
        assert a.id is not None
        title, body = service.in_language(a, lang)
        edited = a.updated_at if (a.updated_at - a.created_at).total_seconds() > 60 else None
        found.append(
            Shown(
                id=a.id,
                title=title,
                body=render_markdown(body),
                pinned=a.pinned,
                when=local_time(a.created_at, lang, time_zone),
                edited=local_time(edited, lang, time_zone) if edited else None,
                where=_where(db, a, lang),
            )
        )
    return found


def _reader(db: Session, request: Request, user: User | None) -> Reader:
    """The request's reader, kept on the request: a page asks once however often it lists."""
    cached = getattr(request.state, "announcement_reader", None)
    if isinstance(cached, Reader):
        return cached
    reader = service.reader_of(db, user)
    request.state.announcement_reader = reader
    return reader


@pass_context
def announcements_here(
    context: Context, *, challenge: Challenge | None = None, event: Event | None = None
) -> dict[str, Any]:
    """Jinja global: the pinned announcements this reader may read on a challenge's (or an
    event's) page, and the address of the live stream that adds new ones."""
    request: Request | None = context.get("request")
    lang = str(context.get("lang") or "it")
    if request is None or (challenge is None and event is None):
        return {"pinned": [], "events_url": "", "archive_url": ""}
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        user = get_optional_user(request, db)
        reader = _reader(db, request, user)
        if challenge is not None:
            items = service.listing(db, reader, challenge=challenge, pinned_only=True)
            zone = service.Target(challenge=challenge).time_zone
            events_url = (
                f"/announcements/events?challenge={challenge.slug}" if challenge.published else ""
            )
            archive = f"/challenges/{challenge.slug}/announcements"
        else:
            assert event is not None
            items = service.listing(
                db, reader, event=event, pinned_only=True, event_level_only=True
            )
            zone = event.time_zone
            events_url = f"/announcements/events?event={event.slug}" if event.published else ""
            archive = f"/events/{event.slug}/announcements"
        return {
            "pinned": shown(db, items, lang, zone),
            "events_url": events_url,
            "archive_url": archive,
        }


def install(templates_env: Any) -> None:
    templates_env.globals["announcements_here"] = announcements_here


# --- archives --------------------------------------------------------------------------------


@router.get(
    "/challenges/{slug}/announcements", response_class=HTMLResponse, name="challenge_announcements"
)
def challenge_archive(
    user: OptionalUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    reader = _reader(db, page.request, user)
    items = service.listing(db, reader, challenge=challenge)
    zone = Target(challenge=challenge).time_zone
    return page.render(
        "announcements/archive.html",
        {
            "title": localise(challenge.title, page.lang),
            "back": page.request.url_for("challenge", slug=challenge.slug).path,
            "items": shown(db, items, page.lang, zone),
            "events_url": f"/announcements/events?challenge={challenge.slug}",
        },
    )


def _event_or_404(db: Session, slug: str, user: User | None) -> Event:
    event = event_by_slug(db, slug)
    if event is None or event.id is None:
        raise HTTPException(404, f"No published event is called {slug!r}.")
    if not event.published:
        scope = service.reader_of(db, user).scope
        if not service.may_manage(db, scope, Target(event=event)):
            raise HTTPException(404, f"No published event is called {slug!r}.")
    return event


@router.get("/events/{slug}/announcements", response_class=HTMLResponse, name="event_announcements")
def event_archive(slug: str, user: OptionalUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    event = _event_or_404(db, slug, user)
    reader = _reader(db, page.request, user)
    items = service.listing(db, reader, event=event)
    return page.render(
        "announcements/archive.html",
        {
            "title": localise(event.title, page.lang),
            "back": page.request.url_for("event", slug=event.slug).path,
            "items": shown(db, items, page.lang, event.time_zone),
            "events_url": f"/announcements/events?event={event.slug}",
        },
    )


# --- the live stream -------------------------------------------------------------------------


@dataclass(frozen=True)
class Listening:
    channel: str
    event_id: int | None
    track: str | None
    challenge_id: int | None
    time_zone: str | None


def _listening(db: Session, challenge: str | None, event: str | None) -> Listening | None:
    if challenge is not None:
        found = challenge_by_slug(db, challenge)
        if found is None or found.id is None or not found.published:
            return None
        zone = Target(challenge=found).time_zone
        return Listening(challenge_channel(found.id), found.event_id, found.track, found.id, zone)
    if event is not None:
        ev = event_by_slug(db, event)
        if ev is None or ev.id is None or not ev.published:
            return None
        return Listening(event_channel(ev.id), ev.id, None, None, ev.time_zone)
    return None


@router.get("/announcements/events", response_class=StreamingResponse, name="announcement_events")
async def announcement_events(
    request: Request, challenge: str | None = None, event: str | None = None
) -> StreamingResponse:
    """Server-Sent Events: `announcement` when one this reader may read is posted or changed,
    `announcement_removed` when one they could read is deleted. Nothing else is sent to
    anyone: a reader outside an announcement's audience cannot tell it exists."""
    lang = get_language(request)
    engine = request.app.state.engine

    def setup() -> tuple[Listening | None, Reader]:
        with Session(engine, expire_on_commit=False) as db:
            where = _listening(db, challenge, event)
            user = get_optional_user(request, db)
            return where, service.reader_of(db, user)

    where, reader = await run_in_threadpool(setup)
    if where is None:
        raise HTTPException(404, "Name a published challenge (?challenge=) or event (?event=).")
    hub: EventHub = request.app.state.hub
    queue = hub.subscribe(where.channel)

    def frame_for(item: dict[str, Any]) -> bytes | None:
        place = Place.from_dict(item.get("place") or {})
        ident = item.get("id")
        if place is None or not isinstance(ident, int) or item.get("type") != EVENT:
            return None
        with Session(engine) as db:
            if not service.sees(db, reader, place):
                return None
            if item.get("action") == "deleted":
                return sse.frame(REMOVED, {"id": ident})
            a = db.get(Announcement, ident)
            if a is None:
                return None
            title, _body = service.in_language(a, lang)
            base = (
                f"/challenges/{challenge}/announcements"
                if challenge is not None
                else f"/events/{event}/announcements"
            )
            return sse.frame(
                EVENT,
                {
                    "id": ident,
                    "title": title,
                    "pinned": a.pinned,
                    "url": f"{base}#announcement-{ident}",
                },
            )

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse.RETRY
            async for item in sse.paced(queue, request.app.state.settings.sse_keepalive_s):
                if item is None:
                    yield sse.KEEPALIVE
                    continue
                framed = await run_in_threadpool(frame_for, item)
                if framed is not None:
                    yield framed
        finally:
            hub.unsubscribe(where.channel, queue)

    return sse.response(stream())


def _announce(settings: Settings, db: Session, ident: int, place: Place, action: str) -> None:
    """Tell every page showing it, once the change is committed (best effort, like all live
    events: a page that missed it shows it on its next load)."""
    channels: list[str] = []
    if place.challenge_id is not None:
        channels.append(challenge_channel(place.challenge_id))
    elif place.event_id is not None:
        channels.append(event_channel(place.event_id))
        stmt = select(Challenge.id).where(Challenge.event_id == place.event_id)
        if place.track:
            stmt = stmt.where(Challenge.track == place.track)
        channels += [challenge_channel(cid) for cid in db.exec(stmt) if cid is not None]
    payload = {"type": EVENT, "action": action, "id": ident, "place": place.as_dict()}
    client = redis_client(settings)
    try:
        publish(client, channels, payload)
    finally:
        client.close()


# --- the organisers' page --------------------------------------------------------------------

AUDIENCES = [a.value for a in Audience]


def _audience_labels() -> dict[str, str]:
    return {
        "everyone": _("Everyone (mailed to the registered people and the teams)"),
        "registered": _("People registered for the event"),
        "teams": _("The teams"),
        "not_submitted": _("The teams that have not submitted yet"),
        "judges": _("The judges"),
    }


def _manage_url(target: Target) -> str:
    if target.challenge is not None:
        return f"/organise/{target.challenge.slug}/announcements"
    assert target.event is not None
    track = f"?track={target.track}" if target.track else ""
    return f"/events/{target.event.slug}/announcements/manage{track}"


def _manage_page(
    page: Page,
    db: Session,
    target: Target,
    *,
    draft: Draft | None = None,
    editing: Announcement | None = None,
    preview: Shown | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    where = target.challenge if target.challenge is not None else target.event
    assert where is not None
    items = service.managed_listing(db, target)
    tracks = (
        [t.get("slug") for t in target.event.config.get("tracks") or []]
        if target.challenge is None and target.event is not None
        else []
    )
    return page.render(
        "announcements/manage.html",
        {
            "where": localise(where.title, page.lang),
            "target": target,
            "tracks": tracks,
            "action": _manage_url(target)
            if editing is None
            else page.request.url_for("announcement_edit", announcement_id=editing.id).path,
            "items": list(zip(items, shown(db, items, page.lang, target.time_zone), strict=True)),
            "draft": draft,
            "editing": editing,
            "preview": preview,
            "audiences": AUDIENCES,
            "audience_labels": _audience_labels(),
            "problem": problem,
            "notice": page.request.session.pop(NOTICE, None),
        },
        status=status,
    )


def _draft(
    title_it: str, title_en: str, body_it: str, body_en: str, audience: str, pinned: str
) -> Draft:
    return Draft(
        title={"it": title_it, "en": title_en},
        body={"it": body_it, "en": body_en},
        audience=audience,
        pinned=pinned == "yes",
    )


def _preview(draft: Draft, lang: str) -> Shown:
    return Shown(
        id=0,
        title=localise({k: v for k, v in draft.title.items() if v.strip()}, lang),
        body=render_markdown(localise({k: v for k, v in draft.body.items() if v.strip()}, lang)),
        pinned=draft.pinned,
        when=Markup(""),
        edited=None,
        where="",
    )


def _submit(
    request: Request,
    page: Page,
    db: Session,
    settings: Settings,
    user: User,
    target: Target,
    draft: Draft,
    *,
    mail: bool,
    intent: str,
    editing: Announcement | None = None,
) -> Response:
    if intent == "preview":
        return _manage_page(
            page, db, target, draft=draft, editing=editing, preview=_preview(draft, page.lang)
        )
    outcome = (
        service.post(db, user, target, draft)
        if editing is None
        else service.edit(db, user, editing, draft)
    )
    if isinstance(outcome, Refusal):
        db.rollback()
        return _manage_page(
            page,
            db,
            target,
            draft=draft,
            editing=editing,
            problem=outcome.message,
            status=status_of(outcome),
        )
    mails = service.mail_audience(db, settings, outcome) if mail else []
    assert outcome.id is not None
    ident, place = outcome.id, Place.of(outcome)
    db.commit()
    if mails:
        wake(settings, mails)
    _announce(settings, db, ident, place, "posted" if editing is None else "changed")
    request.session[NOTICE] = {
        "saved": localise(outcome.title, page.lang),
        "mailed": len(mails),
        "new": editing is None,
    }
    return RedirectResponse(_manage_url(target), 303)


@staff_router.get(
    "/{slug}/announcements", response_class=HTMLResponse, name="organise_announcements"
)
def challenge_manage(
    user: CurrentUser, challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _manage_page(page, db, Target(challenge=challenge, event=_event_of(db, challenge)))


def _event_of(db: Session, challenge: Challenge) -> Event | None:
    return db.get(Event, challenge.event_id) if challenge.event_id is not None else None


@staff_router.post(
    "/{slug}/announcements", response_class=HTMLResponse, name="organise_post_announcement"
)
def challenge_post(
    request: Request,
    user: CurrentUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    title_it: str = Form("", max_length=1000),
    title_en: str = Form("", max_length=1000),
    body_it: str = Form("", max_length=service.BODY_MAX * 2),
    body_en: str = Form("", max_length=service.BODY_MAX * 2),
    audience: str = Form("everyone", max_length=32),
    pinned: str = Form("no", max_length=8),
    mail: str = Form("no", max_length=8),
    intent: str = Form("save", max_length=16),
) -> Response:
    target = Target(challenge=challenge, event=_event_of(db, challenge))
    draft = _draft(title_it, title_en, body_it, body_en, audience, pinned)
    return _submit(
        request, page, db, settings, user, target, draft, mail=mail == "yes", intent=intent
    )


def _organised_event(db: Session, scope: Any, slug: str, track: str | None) -> Target:
    """The event (and track) the caller organises, or 404 (one answer for both)."""
    event = event_by_slug(db, slug)
    target = Target(event=event, track=track or None) if event is not None else None
    if target is None or not service.may_manage(db, scope, target):
        raise HTTPException(404, _("You organise no event called “{slug}”.").format(slug=slug))
    return target


@router.get(
    "/events/{slug}/announcements/manage",
    response_class=HTMLResponse,
    name="event_manage_announcements",
)
def event_manage(
    slug: str,
    user: CurrentUser,
    scope: ScopeDep,
    db: SessionDep,
    page: PageDep,
    track: str | None = None,
) -> HTMLResponse:
    return _manage_page(page, db, _organised_event(db, scope, slug, track))


@router.post(
    "/events/{slug}/announcements/manage",
    response_class=HTMLResponse,
    name="event_post_announcement",
)
def event_post(
    request: Request,
    slug: str,
    user: CurrentUser,
    scope: ScopeDep,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    track: str = Form("", max_length=64),
    title_it: str = Form("", max_length=1000),
    title_en: str = Form("", max_length=1000),
    body_it: str = Form("", max_length=service.BODY_MAX * 2),
    body_en: str = Form("", max_length=service.BODY_MAX * 2),
    audience: str = Form("everyone", max_length=32),
    pinned: str = Form("no", max_length=8),
    mail: str = Form("no", max_length=8),
    intent: str = Form("save", max_length=16),
) -> Response:
    target = _organised_event(db, scope, slug, track)
    draft = _draft(title_it, title_en, body_it, body_en, audience, pinned)
    return _submit(
        request, page, db, settings, user, target, draft, mail=mail == "yes", intent=intent
    )


def _managed(db: Session, scope: Any, user: User, announcement_id: int) -> Announcement:
    """The announcement, if the caller manages where it is posted; 404 otherwise (ids of
    others' announcements cannot be probed). A challenge's competitors are refused, as on
    every staff page of the challenge."""
    a = db.get(Announcement, announcement_id)
    if a is None or not service.may_manage(db, scope, service.target_of(db, a)):
        raise HTTPException(404, _("There is no such announcement to change."))
    if a.challenge_id is not None and competes_in(db, a.challenge_id, user):
        raise HTTPException(
            403, _("You compete in this challenge: its staff pages are closed to you.")
        )
    return a


@router.get(
    "/announcements/{announcement_id}/edit",
    response_class=HTMLResponse,
    name="announcement_edit_page",
)
def edit_page(
    announcement_id: RowId, user: CurrentUser, scope: ScopeDep, db: SessionDep, page: PageDep
) -> HTMLResponse:
    a = _managed(db, scope, user, announcement_id)
    draft = Draft(title=dict(a.title), body=dict(a.body), audience=str(a.audience), pinned=a.pinned)
    return _manage_page(page, db, service.target_of(db, a), draft=draft, editing=a)


@router.post(
    "/announcements/{announcement_id}/edit", response_class=HTMLResponse, name="announcement_edit"
)
def edit_post(
    request: Request,
    announcement_id: RowId,
    user: CurrentUser,
    scope: ScopeDep,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    title_it: str = Form("", max_length=1000),
    title_en: str = Form("", max_length=1000),
    body_it: str = Form("", max_length=service.BODY_MAX * 2),
    body_en: str = Form("", max_length=service.BODY_MAX * 2),
    audience: str = Form("everyone", max_length=32),
    pinned: str = Form("no", max_length=8),
    mail: str = Form("no", max_length=8),
    intent: str = Form("save", max_length=16),
) -> Response:
    a = _managed(db, scope, user, announcement_id)
    draft = _draft(title_it, title_en, body_it, body_en, audience, pinned)
    target = service.target_of(db, a)
    return _submit(
        request,
        page,
        db,
        settings,
        user,
        target,
        draft,
        mail=mail == "yes",
        intent=intent,
        editing=a,
    )


@router.post("/announcements/{announcement_id}/pin", name="announcement_pin")
def pin(
    request: Request,
    announcement_id: RowId,
    user: CurrentUser,
    scope: ScopeDep,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    pinned: str = Form("no", max_length=8),
) -> Response:
    a = _managed(db, scope, user, announcement_id)
    target = service.target_of(db, a)
    service.set_pinned(db, user, a, pinned == "yes")
    assert a.id is not None
    ident, place = a.id, Place.of(a)
    db.commit()
    _announce(settings, db, ident, place, "changed")
    request.session[NOTICE] = {
        "pinned" if pinned == "yes" else "unpinned": localise(a.title, page.lang)
    }
    return RedirectResponse(_manage_url(target), 303)


@router.post("/announcements/{announcement_id}/delete", name="announcement_delete")
def delete(
    request: Request,
    announcement_id: RowId,
    user: CurrentUser,
    scope: ScopeDep,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    confirm: str = Form("", max_length=8),
) -> Response:
    a = _managed(db, scope, user, announcement_id)
    target = service.target_of(db, a)
    if confirm != "yes":
        refused = Refusal(Kind.invalid, _("Confirm that the announcement is to be deleted."))
        return _manage_page(page, db, target, problem=refused.message, status=status_of(refused))
    assert a.id is not None
    ident, title = a.id, localise(a.title, page.lang)
    place = service.delete(db, user, a)
    db.commit()
    _announce(settings, db, ident, place, "deleted")
    request.session[NOTICE] = {"deleted": title}
    return RedirectResponse(_manage_url(target), 303)


__all__ = ["install", "router", "staff_router"]
