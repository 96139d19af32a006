"""The site's home, the event pages a city shows the public, and their calendar and logos.

A draft event does not exist for the public (404); staff may preview it. The home
lists events by when they happen; a site whose only published thing is one event
sends visitors straight to it.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.accounts.deps import OptionalUser
from app.accounts.models import User
from app.core.db import utcnow
from app.core.store import CHUNK, Store
from app.events import service
from app.events.models import Event
from app.events.registration import registration_of
from app.events.registration_pages import can_organise
from app.events.validate import image_type
from app.i18n import localise
from app.text.markdown import render_markdown
from app.web.deps import SessionDep, SettingsDep, StoreDep
from app.web.page import PageDep

router = APIRouter()


def _event_or_404(session: SessionDep, slug: str, user: User | None) -> Event:
    event = service.event_by_slug(session, slug)
    if (
        event is None
        or event.id is None
        or not (event.published or can_organise(session, user, event))
    ):
        raise HTTPException(404, f"No published event is called {slug!r}.")
    return event


@router.get("/", response_class=HTMLResponse, name="home")
def home(session: SessionDep, page: PageDep) -> Response:
    events = service.published_events(session)
    loose = service.loose_challenges(session)
    if len(events) == 1 and not loose:
        return RedirectResponse(page.request.url_for("event", slug=events[0].slug), 303)
    return page.render(
        "home.html",
        {"events": service.events_by_when(events), "challenges": loose, "now": utcnow()},
    )


@router.get("/events", response_class=HTMLResponse, name="event_list")
def event_list(session: SessionDep, page: PageDep) -> HTMLResponse:
    events = service.published_events(session)
    return page.render(
        "events/list.html", {"events": service.events_by_when(events), "now": utcnow()}
    )


@router.get("/events/{slug}", response_class=HTMLResponse, name="event")
def event_page(
    slug: str, session: SessionDep, user: OptionalUser, html: PageDep, page: str = "about"
) -> HTMLResponse:
    event = _event_or_404(session, slug, user)
    if page not in service.PAGE_NAMES or (page not in event.pages and page != "about"):
        names = ", ".join(n for n in service.PAGE_NAMES if n in event.pages or n == "about")
        raise HTTPException(404, f"Unknown page {page!r}; choose one of {names}.")
    assert event.id is not None
    markdown = (event.pages.get(page) or {}).get(html.lang) or localise(event.summary, html.lang)
    return html.render(
        "events/page.html",
        {
            "event": event,
            "time_zone": event.time_zone,
            "page": page,
            "body": render_markdown(markdown),
            "when_now": service.when_of(event),
            "tracks": service.tracks_of(session, event),
            "schedule": service.schedule_of(event),
            "partners": event.config.get("partners", []),
            "sponsors": service.partner_names(event),
            "prizes": event.config.get("prizes", []),
            "venue": event.config.get("venue"),
            "registration": event.config.get("registration") or {},
            "now": utcnow(),
            "me": user,
            "mine": registration_of(session, event.id, user.id) if user and user.id else None,
            "organises": can_organise(session, user, event),
        },
    )


@router.get("/events/{slug}/calendar.ics", name="event_calendar")
def event_calendar(
    slug: str, session: SessionDep, user: OptionalUser, settings: SettingsDep, html: PageDep
) -> Response:
    """The agenda for people's own calendars; text is in the reader's language."""
    event = _event_or_404(session, slug, user)
    body = service.calendar_of(event, html.lang, settings.base_url.rstrip("/"))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"'},
    )


def _stream(store: Store, sha256: str) -> Iterator[bytes]:
    with store.open(sha256) as fh:
        yield from iter(lambda: fh.read(CHUNK), b"")


@router.get("/events/{slug}/partners/{key}/logo", name="event_logo")
def event_logo(
    slug: str, key: str, session: SessionDep, user: OptionalUser, store: StoreDep
) -> StreamingResponse:
    """A partner's logo, with the raster type its bytes prove (never a type that runs script).

    Not cacheable, like every answer of the site: a draft event's logo must not outlive its
    being a draft in some shared cache (tests/authz/test_cache_headers.py).
    """
    event = _event_or_404(session, slug, user)
    sha = event.logos.get(key)
    if sha is None or not store.exists(sha):
        raise HTTPException(404, f"The event has no logo for {key!r}.")
    with store.open(sha) as fh:
        kind = image_type(fh.read(16))
    if kind is None:  # checked when loaded; a store that changed since is not trusted
        raise HTTPException(404, f"The event has no logo for {key!r}.")
    return StreamingResponse(
        _stream(store, sha),
        media_type=kind,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
