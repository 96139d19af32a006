"""Importing an event folder into the database, idempotently.

Loading the same folder twice changes nothing (its hash is compared first).
The event lists its challenges by slug, so they must be loaded before it; a
slug the site does not know is reported at the key that names it, like any
other error of event.yaml. A challenge the new version no longer lists leaves
the event (it keeps its teams and submissions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.bundles.errors import N_, BundleError, ErrorCategory
from app.bundles.source import YamlDocument, parse_yaml
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.core.refusal import Refusal
from app.core.runtime import Runtime
from app.events.models import Event
from app.events.schema import EVENT_FILE
from app.events.validate import EventReport, validate_event
from app.roles.models import Scoped, Source
from app.roles.service import sync_listed

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class EventLoaded:
    slug: str
    action: Action
    challenges: int
    published: bool


class EventInvalid(Exception):
    """Raised by `load_event`; carries every located error."""

    def __init__(self, report: EventReport) -> None:
        self.report = report
        super().__init__(f"invalid event {report.source}: {report.errors[0]}")


class EventRefused(Exception):
    """Raised by `load_event` when its guard refuses (the site loads only what a person runs)."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        super().__init__(refusal.message)


Guard = Callable[[Session, Event | None], Refusal | None]


def _digest(report: EventReport) -> str:
    """One hash over the validated document, the page texts and the logo bytes."""
    assert report.event is not None
    h = hashlib.sha256()
    h.update(json.dumps(report.event.model_dump(mode="json"), sort_keys=True).encode())
    h.update(json.dumps(report.pages, sort_keys=True).encode())
    for key in sorted(report.logos):
        h.update(key.encode() + b"\0" + report.logos[key].read_bytes())
    return h.hexdigest()


def _unknown_challenges(report: EventReport, session: Session) -> list[BundleError]:
    assert report.event is not None
    known = set(session.exec(select(Challenge.slug)).all())
    doc = parse_yaml((report.root / EVENT_FILE).read_text(encoding="utf-8"))
    errors = []
    for i, track in enumerate(report.event.tracks):
        for j, slug in enumerate(track.challenges):
            if slug in known:
                continue
            where = (
                doc.locate(("tracks", i, "challenges", j))
                if isinstance(doc, YamlDocument)
                else None
            )
            errors.append(
                BundleError(
                    EVENT_FILE,
                    where.line if where else None,
                    where.column if where else None,
                    N_(
                        "tracks[{track}].challenges[{index}]: no challenge '{slug}' on this site",
                        track=i,
                        index=j,
                        slug=slug,
                    ),
                    N_("load its bundle first (marea challenge load FOLDER), or fix the slug"),
                    ErrorCategory.RULE,
                )
            )
    return errors


def load_event(
    runtime: Runtime,
    source: Path,
    *,
    publish: bool | None = None,
    guard: Guard | None = None,
    actor: User | None = None,
) -> EventLoaded:
    """Validate, store the logos, and create or update the event and its challenges' track.

    `publish=None` keeps an existing event's state and leaves a new one a draft.
    Raises `EventInvalid` with every located error, and `EventRefused` when `guard`, shown
    the event the folder would replace (None for a new one), refuses before anything is stored.
    `actor` is who loaded it on the site, for the audit log (None: the command line).
    """
    report = validate_event(source)
    if not report.ok:
        raise EventInvalid(report)
    spec = report.event
    assert spec is not None
    with Session(runtime.engine, expire_on_commit=False) as session:
        unknown = _unknown_challenges(report, session)
        if unknown:
            report.errors.extend(unknown)
            raise EventInvalid(report)
        digest = _digest(report)
        current = session.exec(select(Event).where(Event.slug == spec.slug)).first()
        if guard is not None:
            refused = guard(session, current)
            if refused is not None:
                raise EventRefused(refused)
        published = publish if publish is not None else (current.published if current else False)
        slugs = spec.challenge_slugs()
        if current is not None and current.sha256 == digest and current.published == published:
            return EventLoaded(spec.slug, "unchanged", len(slugs), published)
        logos = {key: runtime.store.put_file(path).sha256 for key, path in report.logos.items()}
        config = spec.model_dump(mode="json")
        event = current or Event(
            slug=spec.slug,
            registration_opens=spec.dates.registration_opens,
            registration_closes=spec.dates.registration_closes,
            starts_at=spec.dates.hacking_starts,
            ends_at=spec.dates.hacking_ends,
            results_at=spec.dates.results,
        )
        event.title = config["title"]
        event.summary = config["summary"]
        event.time_zone = spec.time_zone
        event.config = config
        event.pages = report.pages
        event.logos = logos
        event.registration_opens = spec.dates.registration_opens
        event.registration_closes = spec.dates.registration_closes
        event.starts_at = spec.dates.hacking_starts
        event.ends_at = spec.dates.hacking_ends
        event.results_at = spec.dates.results
        event.sha256 = digest
        event.published = published
        event.updated_at = utcnow()
        session.add(event)
        session.flush()
        assert event.id is not None
        for challenge in session.exec(
            select(Challenge).where(
                (col(Challenge.event_id) == event.id) | col(Challenge.slug).in_(slugs)
            )
        ):
            track = spec.track_of(challenge.slug)
            challenge.event_id = event.id if track is not None else None
            challenge.track = track.slug if track is not None else None
            session.add(challenge)
        for role, emails in ((Scoped.organiser, spec.organisers), (Scoped.judge, spec.judges)):
            sync_listed(
                session, source=Source.event_yaml, role=role, emails=emails, event_id=event.id
            )
        action: Action = "created" if current is None else "updated"
        record(
            session,
            actor,
            None,
            f"event.{action}",
            spec.slug,
            {"sha256": digest, "published": published, "challenges": slugs},
        )
        session.commit()
        return EventLoaded(spec.slug, action, len(slugs), published)
