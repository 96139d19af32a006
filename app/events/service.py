"""What the event pages show: events by when they happen, their tracks, prizes and calendar.

The event keeps its validated event.yaml in `config`; this module turns it into the
things a page lists, and is the one place that knows a database older than events
has a default event with no document (its challenges form one unnamed track).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from icalendar import Calendar
from icalendar import Event as CalendarEntry
from sqlmodel import Session, col, select

from app.challenges.models import Challenge
from app.core.db import utcnow
from app.events.models import Event
from app.text.timefmt import as_utc

PAGE_NAMES = ("about", "code_of_conduct", "data_terms")


class When(StrEnum):
    RUNNING = "running"
    UPCOMING = "upcoming"
    PAST = "past"


def when_of(event: Event, now: datetime | None = None) -> When:
    now = now or utcnow()
    if as_utc(event.ends_at) <= now:
        return When.PAST
    if as_utc(event.starts_at) <= now:
        return When.RUNNING
    return When.UPCOMING


def published_events(session: Session) -> list[Event]:
    stmt = select(Event).where(col(Event.published).is_(True)).order_by(col(Event.starts_at))
    return list(session.exec(stmt))


def events_by_when(events: list[Event], now: datetime | None = None) -> dict[When, list[Event]]:
    """Running first, then upcoming (soonest first), then past (latest first)."""
    grouped: dict[When, list[Event]] = {w: [] for w in When}
    for event in events:
        grouped[when_of(event, now)].append(event)
    grouped[When.PAST].reverse()
    return grouped


def event_by_slug(session: Session, slug: str) -> Event | None:
    return session.exec(select(Event).where(Event.slug == slug)).first()


def loose_challenges(session: Session) -> list[Challenge]:
    """Published challenges that belong to no published event (listed on the home page)."""
    published = select(Event.id).where(col(Event.published).is_(True))
    stmt = (
        select(Challenge)
        .where(col(Challenge.published).is_(True))
        .where(col(Challenge.event_id).is_(None) | col(Challenge.event_id).not_in(published))
        .order_by(col(Challenge.slug))
    )
    return list(session.exec(stmt))


@dataclass(frozen=True)
class TrackView:
    slug: str
    title: dict[str, str] | None  # None: the default event's one unnamed track
    summary: dict[str, str] | None
    challenges: list[Challenge]
    prizes: list[dict[str, Any]]


def tracks_of(session: Session, event: Event) -> list[TrackView]:
    """The tracks in the event's order, each with its published challenges in its order."""
    assert event.id is not None
    loaded = session.exec(
        select(Challenge)
        .where(Challenge.event_id == event.id)
        .where(col(Challenge.published).is_(True))
        .order_by(col(Challenge.slug))
    ).all()
    by_slug = {c.slug: c for c in loaded}
    prizes = event.config.get("prizes", [])
    tracks = event.config.get("tracks")
    if not tracks:
        return [TrackView("", None, None, list(loaded), [])] if loaded else []
    views = []
    for track in tracks:
        slugs = track.get("challenges", [])
        views.append(
            TrackView(
                track["slug"],
                track["title"],
                track.get("summary"),
                [by_slug[s] for s in slugs if s in by_slug],
                [
                    p
                    for p in prizes
                    if p.get("track") == track["slug"] or p.get("challenge") in slugs
                ],
            )
        )
    return views


def partner_names(event: Event) -> dict[str, str]:
    return {p["key"]: p["name"] for p in event.config.get("partners", [])}


def schedule_of(event: Event) -> list[dict[str, Any]]:
    """Agenda items with their times as datetimes, in order."""
    items = []
    for item in event.config.get("schedule", []):
        start = datetime.fromisoformat(item["start"])
        end = datetime.fromisoformat(item["end"]) if item.get("end") else None
        items.append({**item, "start": start, "end": end})
    return sorted(items, key=lambda i: as_utc(i["start"]))


def calendar_of(event: Event, lang: str, site_url: str) -> bytes:
    """The event and its agenda as iCalendar, in the reader's language, times in UTC."""
    cal = Calendar()
    cal.add("prodid", "-//Marea//event calendar//IT")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", event.title.get(lang) or event.title.get("en", event.slug))
    cal.add("x-wr-timezone", event.time_zone)
    venue = event.config.get("venue") or {}
    where = ", ".join(v for v in (venue.get("name"), venue.get("address")) if v)
    stamp = as_utc(event.updated_at)
    whole = CalendarEntry()
    whole.add("uid", f"{event.slug}@marea")
    whole.add("dtstamp", stamp)
    whole.add("dtstart", as_utc(event.starts_at))
    whole.add("dtend", as_utc(event.ends_at))
    whole.add("summary", event.title.get(lang) or event.slug)
    whole.add("description", event.summary.get(lang) or "")
    whole.add("url", f"{site_url}/events/{event.slug}")
    cal.add_component(whole)
    for n, item in enumerate(schedule_of(event)):
        entry = CalendarEntry()
        entry.add("uid", f"{event.slug}-{n}@marea")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", as_utc(item["start"]))
        entry.add("dtend", as_utc(item["end"] or item["start"] + timedelta(hours=1)))
        entry.add("summary", item["title"].get(lang) or item["title"]["en"])
        place = (item.get("place") or {}).get(lang)
        if place or where:
            entry.add("location", ", ".join(p for p in (place, where) if p))
        cal.add_component(entry)
    ical: bytes = cal.to_ical()
    return ical
