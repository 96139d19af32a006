"""Posting, changing and removing announcements; who reads them, and who is mailed them.

One rule decides who reads an announcement, on the pages, in the archive, on the live
stream and in the API: `sees`. It is decided from the announcement's place and audience
(`Place`), which a live event carries too, so a stream decides a deleted announcement as it
decided it before. The people an announcement is mailed to are `audience_of`, the same rule
asked the other way round (everyone it names who has an account and a verified address).
Its managers always read it: the challenge's managers for a challenge's, the event's
organisers for an event's or a track's.

Every change is audited in its own transaction. Nothing here talks to Redis or the queue:
the pages publish the live event and wake the mail queue after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.announcements.models import Announcement, Audience
from app.audit.service import record
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.events.models import Event, Registration, RegistrationStatus
from app.i18n import localise
from app.i18n.speech import gettext as _
from app.jury.models import JudgeAssignment
from app.mail.models import OutboxMail
from app.mail.render import mail_language
from app.notifications.models import Notice
from app.notifications.service import notify
from app.roles import service as roles
from app.roles.models import RoleGrant, Scoped
from app.roles.service import Scope
from app.submissions.models import Submission
from app.teams.models import Membership
from app.text.markdown import render_markdown

LANGS = ("it", "en")
TITLE_MAX = 200
BODY_MAX = 20_000


@dataclass(frozen=True)
class Target:
    """Where an announcement is posted: an event, a track of it, or a challenge."""

    event: Event | None = None
    track: str | None = None
    challenge: Challenge | None = None

    @property
    def kind(self) -> str:
        if self.challenge is not None:
            return "challenge"
        return "track" if self.track else "event"

    @property
    def time_zone(self) -> str | None:
        if self.event is not None:
            return self.event.time_zone
        if self.challenge is not None:
            zone = self.challenge.config.get("time_zone")
            return zone if isinstance(zone, str) else None
        return None


@dataclass(frozen=True)
class Place:
    """What decides who reads an announcement: where it is posted and to whom."""

    event_id: int | None
    track: str | None
    challenge_id: int | None
    audience: str

    @classmethod
    def of(cls, a: Announcement) -> Place:
        return cls(a.event_id, a.track, a.challenge_id, str(a.audience))

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "track": self.track,
            "challenge_id": self.challenge_id,
            "audience": self.audience,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Place | None:
        event_id, challenge_id = data.get("event_id"), data.get("challenge_id")
        track, audience = data.get("track"), data.get("audience")
        if not isinstance(audience, str) or audience not in {a.value for a in Audience}:
            return None
        if event_id is not None and not isinstance(event_id, int):
            return None
        if challenge_id is not None and not isinstance(challenge_id, int):
            return None
        if track is not None and not isinstance(track, str):
            return None
        return cls(event_id, track, challenge_id, audience)


def target_of(db: Session, a: Announcement) -> Target:
    event = db.get(Event, a.event_id) if a.event_id is not None else None
    challenge = db.get(Challenge, a.challenge_id) if a.challenge_id is not None else None
    return Target(event=event, track=a.track, challenge=challenge)


def may_manage(db: Session, scope: Scope, target: Target) -> bool:
    """May post, change and remove announcements there."""
    if target.challenge is not None:
        return roles.manages(db, scope, target.challenge)
    return target.event is not None and roles.manages_event(db, scope, target.event)


# --- who reads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """What one person's reading depends on, read once per request (or per stream)."""

    user_id: int | None = None
    scope: Scope = field(default_factory=Scope)
    registered: frozenset[int] = frozenset()  # events
    # challenge id -> (its event id, its track, whether the person's team has submitted)
    teams: dict[int, tuple[int | None, str | None, bool]] = field(default_factory=dict)
    # challenges judged (by grant or assignment), as (challenge id, event id, track)
    judged: tuple[tuple[int, int | None, str | None], ...] = ()


ANONYMOUS = Reader()


def reader_of(db: Session, user: User | None) -> Reader:
    if user is None or user.id is None or not user.is_active:
        return ANONYMOUS
    scope = roles.scope_of(db, user)
    registered = db.exec(
        select(Registration.event_id).where(
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.REGISTERED.value,
        )
    ).all()
    rows = db.exec(
        select(Membership.team_id, Challenge.id, Challenge.event_id, Challenge.track)
        .join(Challenge, col(Challenge.id) == col(Membership.challenge_id))
        .where(Membership.user_id == user.id)
    ).all()
    team_ids = [team_id for team_id, *_rest in rows]
    submitted = set(
        db.exec(
            select(Submission.team_id).where(col(Submission.team_id).in_(team_ids)).distinct()
        ).all()
    )
    teams = {cid: (eid, track, tid in submitted) for tid, cid, eid, track in rows if cid}
    judged = db.exec(
        select(Challenge.id, Challenge.event_id, Challenge.track).where(
            or_(
                col(Challenge.id).in_(scope.judged_challenges),
                col(Challenge.event_id).in_(scope.judged_events),
            )
        )
    ).all()
    return Reader(
        user_id=user.id,
        scope=scope,
        registered=frozenset(registered),
        teams=teams,
        judged=tuple((cid, eid, track) for cid, eid, track in judged if cid is not None),
    )


def _covers(place: Place, event_id: int | None, track: str | None, challenge_id: int) -> bool:
    """The place is this challenge, or its track, or its event."""
    if place.challenge_id is not None:
        return place.challenge_id == challenge_id
    if place.event_id is None or place.event_id != event_id:
        return False
    return not place.track or place.track == track


def _manages_place(db: Session, reader: Reader, place: Place) -> bool:
    if reader.user_id is None:
        return False
    if place.challenge_id is not None:
        challenge = db.get(Challenge, place.challenge_id)
        return challenge is not None and roles.manages(db, reader.scope, challenge)
    event = db.get(Event, place.event_id) if place.event_id is not None else None
    return event is not None and roles.manages_event(db, reader.scope, event)


def sees(db: Session, reader: Reader, place: Place) -> bool:
    """Whether this reader may read an announcement posted there, to that audience."""
    audience = place.audience
    if audience == Audience.everyone:
        return True
    if reader.user_id is None:
        return False
    if audience == Audience.registered:
        found = place.event_id is not None and place.event_id in reader.registered
    elif audience in (Audience.teams, Audience.not_submitted):
        found = any(
            _covers(place, eid, track, cid) and not (audience == Audience.not_submitted and done)
            for cid, (eid, track, done) in reader.teams.items()
        )
    elif audience == Audience.judges:
        found = (
            place.challenge_id is None
            and place.event_id is not None
            and place.event_id in reader.scope.judged_events
        ) or any(_covers(place, eid, track, cid) for cid, eid, track in reader.judged)
    else:
        found = False
    return found or _manages_place(db, reader, place)


# --- listing ---------------------------------------------------------------------------------


def _for_challenge(challenge: Challenge) -> Any:
    own = col(Announcement.challenge_id) == challenge.id
    if challenge.event_id is None:
        return own
    above = and_(
        col(Announcement.challenge_id).is_(None),
        col(Announcement.event_id) == challenge.event_id,
        or_(col(Announcement.track).is_(None), col(Announcement.track) == (challenge.track or "")),
    )
    return or_(own, above)


def listing(
    db: Session,
    reader: Reader,
    *,
    event: Event | None = None,
    challenge: Challenge | None = None,
    pinned_only: bool = False,
    event_level_only: bool = False,
) -> list[Announcement]:
    """The announcements this reader may read, newest first: a challenge's (with its track's
    and its event's), or an event's (with its tracks' and challenges' unless `event_level_only`)."""
    stmt = select(Announcement)
    if challenge is not None:
        stmt = stmt.where(_for_challenge(challenge))
    elif event is not None:
        stmt = stmt.where(Announcement.event_id == event.id)
        if event_level_only:
            stmt = stmt.where(col(Announcement.challenge_id).is_(None))
    else:
        return []
    if pinned_only:
        stmt = stmt.where(col(Announcement.pinned).is_(True))
    stmt = stmt.order_by(col(Announcement.created_at).desc(), col(Announcement.id).desc())
    return [a for a in db.exec(stmt) if sees(db, reader, Place.of(a))]


def managed_listing(db: Session, target: Target) -> list[Announcement]:
    """Everything posted exactly there, newest first (the organisers' page)."""
    stmt = select(Announcement)
    if target.challenge is not None:
        stmt = stmt.where(Announcement.challenge_id == target.challenge.id)
    else:
        assert target.event is not None
        stmt = stmt.where(
            Announcement.event_id == target.event.id,
            col(Announcement.challenge_id).is_(None),
        )
        stmt = stmt.where(
            col(Announcement.track).is_(None)
            if not target.track
            else col(Announcement.track) == target.track
        )
    stmt = stmt.order_by(col(Announcement.created_at).desc(), col(Announcement.id).desc())
    return list(db.exec(stmt))


# --- who is mailed ---------------------------------------------------------------------------


def _challenges_at(db: Session, place: Place) -> list[int]:
    if place.challenge_id is not None:
        return [place.challenge_id]
    stmt = select(Challenge.id).where(Challenge.event_id == place.event_id)
    if place.track:
        stmt = stmt.where(Challenge.track == place.track)
    return [cid for cid in db.exec(stmt) if cid is not None]


def _team_members(db: Session, challenge_ids: list[int], *, not_submitted: bool) -> set[int]:
    rows = db.exec(
        select(Membership.user_id, Membership.team_id).where(
            col(Membership.challenge_id).in_(challenge_ids)
        )
    ).all()
    if not not_submitted:
        return {uid for uid, _tid in rows}
    submitted = set(
        db.exec(
            select(Submission.team_id)
            .where(col(Submission.team_id).in_({tid for _uid, tid in rows}))
            .distinct()
        ).all()
    )
    return {uid for uid, tid in rows if tid not in submitted}


def _judges(db: Session, place: Place, challenge_ids: list[int]) -> set[int]:
    found: set[int] = set()
    over: ColumnElement[bool] = col(RoleGrant.challenge_id).in_(challenge_ids)
    if place.challenge_id is None and place.event_id is not None:
        over = or_(over, col(RoleGrant.event_id) == place.event_id)
    for challenge_id in challenge_ids:  # grants over the challenge's event judge it too
        challenge = db.get(Challenge, challenge_id)
        if challenge is not None:
            found |= {u.id for u in roles.judges_by_grant(db, challenge) if u.id is not None}
    for grant in db.exec(select(RoleGrant).where(RoleGrant.role == Scoped.judge, over)):
        if grant.user_id is not None:
            found.add(grant.user_id)
        else:
            user = db.exec(select(User).where(User.email == grant.email)).first()
            if user is not None and user.email_verified and user.id is not None:
                found.add(user.id)
    found |= set(
        db.exec(
            select(JudgeAssignment.user_id).where(
                col(JudgeAssignment.challenge_id).in_(challenge_ids)
            )
        ).all()
    )
    return found


def audience_of(db: Session, a: Announcement) -> list[User]:
    """The active accounts an announcement names (not its managers, who wrote it), by id."""
    place = Place.of(a)
    challenge_ids = _challenges_at(db, place)
    ids: set[int] = set()
    if place.audience in (Audience.everyone, Audience.registered) and place.event_id is not None:
        ids |= set(
            db.exec(
                select(Registration.user_id).where(
                    Registration.event_id == place.event_id,
                    Registration.status == RegistrationStatus.REGISTERED.value,
                )
            ).all()
        )
    if place.audience in (Audience.everyone, Audience.teams, Audience.not_submitted):
        ids |= _team_members(
            db, challenge_ids, not_submitted=place.audience == Audience.not_submitted
        )
    if place.audience == Audience.judges:
        ids |= _judges(db, place, challenge_ids)
    if not ids:
        return []
    users = db.exec(select(User).where(col(User.id).in_(ids)).order_by(col(User.id))).all()
    return [u for u in users if u.is_active]


def mail_announcement(
    db: Session, settings: Settings, user: User, a: Announcement
) -> OutboxMail | None:
    """The one mail of an announcement to one person, in their language; None when their
    address is not verified (nobody is mailed at an address they have not proved) or they
    turned announcements off (`app.notifications`, which adds the way out)."""
    if not user.email_verified or not user.is_active:
        return None
    target = target_of(db, a)
    lang = mail_language(user.language, settings.default_language)
    where = target.challenge if target.challenge is not None else target.event
    base = settings.base_url.rstrip("/")
    if target.challenge is not None:
        link = f"{base}/challenges/{target.challenge.slug}/announcements#announcement-{a.id}"
    else:
        assert target.event is not None
        link = f"{base}/events/{target.event.slug}/announcements#announcement-{a.id}"
    body = localise(a.body, lang)
    return notify(
        db,
        settings,
        user=user,
        notice=Notice.announcement,
        mail_kind="announcement",
        context={
            "title": localise(a.title, lang),
            "where": localise(where.title, lang) if where is not None else "",
            "body_text": body,
            "body_html": render_markdown(body),
            "link": link,
        },
    )


def mail_audience(db: Session, settings: Settings, a: Announcement) -> list[OutboxMail]:
    """One mail per person of the audience; marks the announcement mailed."""
    mails = [m for u in audience_of(db, a) if (m := mail_announcement(db, settings, u, a))]
    a.mailed_at = utcnow()
    db.add(a)
    db.flush()
    return mails


# --- changing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What an organiser typed: title and body per language, audience, pinned."""

    title: dict[str, str]
    body: dict[str, str]
    audience: str
    pinned: bool = False


def _clean(draft: Draft, target: Target) -> Draft | Refusal:
    title = {k: " ".join(v.split()) for k, v in draft.title.items() if k in LANGS and v.strip()}
    body = {k: v.strip() for k, v in draft.body.items() if k in LANGS and v.strip()}
    if not title:
        return Refusal(Kind.invalid, _("Give the announcement a title."), "no_title", "title_it")
    if not body:
        return Refusal(Kind.invalid, _("Write the announcement's text."), "no_body", "body_it")
    if any(len(t) > TITLE_MAX for t in title.values()):
        return Refusal(
            Kind.invalid,
            _("A title may be at most {n} characters long.").format(n=TITLE_MAX),
            "title_too_long",
            "title_it",
        )
    if any(len(b) > BODY_MAX for b in body.values()):
        return Refusal(
            Kind.invalid,
            _("The text may be at most {n} characters long.").format(n=BODY_MAX),
            "body_too_long",
            "body_it",
        )
    if draft.audience not in {a.value for a in Audience}:
        return Refusal(Kind.invalid, _("Choose who the announcement is for."), "audience")
    if draft.audience == Audience.registered and target.event is None:
        return Refusal(
            Kind.invalid,
            _("This challenge is in no event: nobody registers for it. Choose another audience."),
            "no_event",
            "audience",
        )
    return Draft(title=title, body=body, audience=draft.audience, pinned=draft.pinned)


def _audit_detail(a: Announcement, target: Target) -> dict[str, Any]:
    return {
        "announcement_id": a.id,
        "title": localise(a.title, "en"),
        "where": target.kind,
        "event": target.event.slug if target.event is not None else None,
        "track": a.track,
        "audience": str(a.audience),
        "pinned": a.pinned,
    }


def _audit(db: Session, actor: User, action: str, a: Announcement, target: Target) -> None:
    # An event's (and a track's) announcements belong to the event's log, named as it names
    # its rows; a challenge's to the challenge's log.
    name = f"event:{target.event.slug}" if target.challenge is None and target.event else ""
    record(
        db,
        actor,
        a.challenge_id,
        action,
        name or localise(a.title, "en"),
        _audit_detail(a, target),
    )


def post(db: Session, actor: User, target: Target, draft: Draft) -> Announcement | Refusal:
    clean = _clean(draft, target)
    if isinstance(clean, Refusal):
        return clean
    if target.track and target.event is not None:
        tracks = {t.get("slug") for t in target.event.config.get("tracks") or []}
        if target.track not in tracks:
            return Refusal(Kind.not_found, _("The event has no such track."), "no_track")
    a = Announcement(
        event_id=target.event.id if target.event is not None else None,
        track=target.track if target.challenge is None else None,
        challenge_id=target.challenge.id if target.challenge is not None else None,
        audience=Audience(clean.audience),
        title=clean.title,
        body=clean.body,
        pinned=clean.pinned,
        author_id=actor.id,
    )
    db.add(a)
    db.flush()
    _audit(db, actor, "announcement.post", a, target)
    return a


def edit(db: Session, actor: User, a: Announcement, draft: Draft) -> Announcement | Refusal:
    target = target_of(db, a)
    clean = _clean(draft, target)
    if isinstance(clean, Refusal):
        return clean
    a.title, a.body = clean.title, clean.body
    a.audience, a.pinned = Audience(clean.audience), clean.pinned
    a.updated_at = utcnow()
    db.add(a)
    db.flush()
    _audit(db, actor, "announcement.edit", a, target)
    return a


def set_pinned(db: Session, actor: User, a: Announcement, pinned: bool) -> Announcement:
    a.pinned = pinned
    a.updated_at = utcnow()
    db.add(a)
    db.flush()
    _audit(db, actor, "announcement.pin" if pinned else "announcement.unpin", a, target_of(db, a))
    return a


def delete(db: Session, actor: User, a: Announcement) -> Place:
    """Removes it for good; its place, so the live pages showing it can drop it."""
    place = Place.of(a)
    _audit(db, actor, "announcement.delete", a, target_of(db, a))
    db.delete(a)
    db.flush()
    return place


def in_language(a: Announcement, lang: str) -> tuple[str, str]:
    """Title and Markdown body in `lang`, else in the other language."""
    return localise(a.title, lang), localise(a.body, lang)


def users_by_id(db: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.exec(select(User).where(col(User.id).in_(wanted))) if u.id}
