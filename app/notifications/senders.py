"""The site's notifications: who gets which mail, and when.

Each sender decides the audience and the words; `service.notify` decides, per person,
whether the mail goes (their choice, a verified address) and adds the way out. Mails are
rendered in each person's language when they are queued, so dates are written here in the
challenge's or event's time zone for that language. Nothing here says a score: a mail
is read outside the site's rules on who may see what, so it names the status and links to
the page, which shows what the reader may see at the moment they open it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.settings import Settings
from app.events.models import Event, Registration
from app.mail.models import MailKind, OutboxMail
from app.notifications.models import Notice
from app.notifications.service import notify, once, wants
from app.organisers.service import time_zone_of
from app.submissions.models import Status, Submission
from app.teams.models import Membership

# A phase that opened more than this long ago gets no "it is open" mail (the site was down,
# or the reminders are new): late news is noise.
OPENING_WINDOW = timedelta(days=1)
# How long before a phase closes its reminder goes.
CLOSING_NOTICE = timedelta(days=1)
REGISTERED = ("registered",)


def _users(db: Session, ids: Iterable[int]) -> list[User]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(db.exec(select(User).where(col(User.id).in_(wanted)).order_by(col(User.id))))


def challenge_members(db: Session, challenge_id: int) -> list[User]:
    """Everyone in a team of the challenge."""
    ids = db.exec(select(Membership.user_id).where(Membership.challenge_id == challenge_id))
    return _users(db, ids)


def _event_registrants(db: Session, event_id: int) -> list[User]:
    ids = db.exec(
        select(Registration.user_id).where(
            Registration.event_id == event_id, col(Registration.status).in_(REGISTERED)
        )
    )
    return _users(db, ids)


def _challenge_context(challenge: Challenge) -> dict[str, Any]:
    return {"title": challenge.title, "slug": challenge.slug}


def submission_result(db: Session, settings: Settings, submission_id: int) -> list[OutboxMail]:
    """The person who submitted hears that their submission was scored or failed (opt-in)."""
    submission = db.get(Submission, submission_id)
    if submission is None or submission.status not in (Status.scored, Status.failed):
        return []
    user = db.get(User, submission.user_id)
    challenge = db.get(Challenge, submission.challenge_id)
    if user is None or challenge is None or user.id is None or not user.email_verified:
        return []
    # Most people leave this mail off: ask before writing the once-only row of every judging.
    if not wants(db, user.id, Notice.submission_result):
        return []
    if not once(db, f"submission-result:{submission_id}"):
        return []
    mail = notify(
        db,
        settings,
        user=user,
        notice=Notice.submission_result,
        mail_kind=MailKind.submission_result,
        context={
            "challenge": _challenge_context(challenge),
            "submission_id": submission_id,
            "scored": submission.status == Status.scored,
            "link": f"{settings.base_url.rstrip('/')}/submissions/{submission_id}",
        },
    )
    return [mail] if mail is not None else []


def registration_approved(
    db: Session, settings: Settings, event: Event, registration: Registration
) -> list[OutboxMail]:
    user = db.get(User, registration.user_id)
    if user is None:
        return []
    mail = notify(
        db,
        settings,
        user=user,
        notice=Notice.registration,
        mail_kind=MailKind.registration_approved,
        context={
            "event": {"title": event.title, "slug": event.slug},
            "link": f"{settings.base_url.rstrip('/')}/events/{event.slug}",
        },
    )
    return [mail] if mail is not None else []


def results_published(db: Session, settings: Settings, challenge: Challenge) -> list[OutboxMail]:
    """The teams of a challenge hear that its final (private) board is out; once per challenge,
    however often the board is hidden and shown again."""
    assert challenge.id is not None
    if not once(db, f"results:challenge:{challenge.id}"):
        return []
    context = {
        "challenge": _challenge_context(challenge),
        "link": f"{settings.base_url.rstrip('/')}/challenges/{challenge.slug}/leaderboard",
    }
    people = challenge_members(db, challenge.id)
    return _notify_all(db, settings, people, Notice.results, MailKind.results_published, context)


def event_results_published(db: Session, settings: Settings, event: Event) -> list[OutboxMail]:
    """Everyone registered, and every member of a team of the event's challenges, hears that
    the winners page is out; once per event."""
    assert event.id is not None
    if not once(db, f"results:event:{event.id}"):
        return []
    people = {u.id: u for u in _event_registrants(db, event.id)}
    challenge_ids = db.exec(select(Challenge.id).where(Challenge.event_id == event.id)).all()
    for challenge_id in challenge_ids:
        if challenge_id is not None:
            people.update({u.id: u for u in challenge_members(db, challenge_id)})
    context = {
        "event": {"title": event.title, "slug": event.slug},
        "link": f"{settings.base_url.rstrip('/')}/events/{event.slug}/winners",
    }
    people_list = list(people.values())
    return _notify_all(db, settings, people_list, Notice.results, MailKind.event_results, context)


def _notify_all(
    db: Session,
    settings: Settings,
    people: Iterable[User],
    notice: Notice,
    mail_kind: str,
    context: dict[str, Any],
) -> list[OutboxMail]:
    """The same notification to each person who wants it."""
    mails = []
    for user in people:
        mail = notify(db, settings, user=user, notice=notice, mail_kind=mail_kind, context=context)
        if mail is not None:
            mails.append(mail)
    return mails


def _phase_mail(
    db: Session,
    settings: Settings,
    challenge: Challenge,
    phase: Phase,
    people: list[User],
    *,
    opening: bool,
) -> list[OutboxMail]:
    zone = time_zone_of(challenge)
    mails = []
    for user in people:
        mail = notify(
            db,
            settings,
            user=user,
            notice=Notice.phase_reminder,
            mail_kind=MailKind.phase_reminder,
            context={
                "challenge": _challenge_context(challenge),
                "phase": {"title": phase.title, "name": phase.name},
                "opening": opening,
                "start": phase.start,
                "end": phase.end,
                "time_zone": zone,
                "link": f"{settings.base_url.rstrip('/')}/challenges/{challenge.slug}",
            },
        )
        if mail is not None:
            mails.append(mail)
    return mails


def phase_reminders(
    db: Session, settings: Settings, now: datetime | None = None
) -> list[OutboxMail]:
    """Phases of published challenges that opened within the last day, or close within the
    next: their teams (and, for an opening, the event's registered people) hear it once per
    date, so moving a deadline sends a new reminder for the new one."""
    moment = now or utcnow()
    rows = db.exec(
        select(Phase, Challenge)
        .join(Challenge, col(Challenge.id) == col(Phase.challenge_id))
        .where(
            col(Challenge.published).is_(True),
            (
                (col(Phase.start) <= moment) & (col(Phase.start) > moment - OPENING_WINDOW)
                | (col(Phase.end) > moment) & (col(Phase.end) <= moment + CLOSING_NOTICE)
            ),
        )
        .order_by(col(Phase.id))
    ).all()
    mails: list[OutboxMail] = []
    for phase, challenge in rows:
        assert challenge.id is not None
        opens = phase.start <= moment < phase.start + OPENING_WINDOW and moment < phase.end
        closes = phase.end - CLOSING_NOTICE <= moment < phase.end
        if opens and once(db, f"phase-open:{phase.id}:{phase.start.isoformat()}"):
            people = challenge_members(db, challenge.id)
            if challenge.event_id is not None:
                people = list(
                    {u.id: u for u in people + _event_registrants(db, challenge.event_id)}.values()
                )
            mails += _phase_mail(db, settings, challenge, phase, people, opening=True)
        if closes and once(db, f"phase-close:{phase.id}:{phase.end.isoformat()}"):
            people = challenge_members(db, challenge.id)
            mails += _phase_mail(db, settings, challenge, phase, people, opening=False)
    return mails
