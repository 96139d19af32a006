"""Registering for an event: answers, consents with their version, capacity and the line.

Capacity is a check-then-write that two people registering at once could both pass, so
every change to an event's registrations takes the event's row lock first (the same
pattern as teams, app/teams/locking.py). A place freed by a withdrawal goes to the first
person in line, in the same transaction, so the line never waits for an organiser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.audit.service import record
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.events.models import HOLDS_A_PLACE, Event, Registration, RegistrationStatus
from app.i18n.speech import gettext as _
from app.i18n.speech import speaking
from app.text.csv_cells import safe_cell
from app.text.timefmt import as_utc, format_local

MAX_TEXT_ANSWER = 500


def lock_event(session: Session, event_id: int) -> None:
    """Serialise registrations of one event until the transaction ends (see the module doc)."""
    result = session.execute(update(Event).where(col(Event.id) == event_id).values(id=Event.id))
    assert cast(CursorResult[Any], result).rowcount == 1


def registration_of(session: Session, event_id: int, user_id: int) -> Registration | None:
    return session.exec(
        select(Registration)
        .where(Registration.event_id == event_id)
        .where(Registration.user_id == user_id)
    ).first()


def places_taken(session: Session, event_id: int, *, besides: int | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id)
        .where(col(Registration.status).in_([s.value for s in HOLDS_A_PLACE]))
    )
    if besides is not None:
        stmt = stmt.where(col(Registration.id) != besides)
    return int(session.exec(stmt).one())


def _when(moment: datetime, event: Event) -> str:
    return format_local(moment, speaking(), event.time_zone)


def window_refusal(event: Event, now: datetime) -> Refusal | None:
    """Registration is open between the event's two dates; say which side we are on."""
    if now < as_utc(event.registration_opens):
        return Refusal(
            Kind.conflict,
            _("Registration opens on {when}.").format(when=_when(event.registration_opens, event)),
            "registration_not_open",
        )
    if now >= as_utc(event.registration_closes):
        return Refusal(
            Kind.conflict,
            _("Registration closed on {when}.").format(
                when=_when(event.registration_closes, event)
            ),
            "registration_closed",
        )
    return None


def read_answers(event: Event, form: Mapping[str, Sequence[str]]) -> dict[str, Any] | Refusal:
    """The answers to the event's questions from a form (`q_KEY` fields), checked."""
    lang = speaking()
    answers: dict[str, Any] = {}
    for question in event.config.get("registration", {}).get("questions", []):
        key = question["key"]
        label = question["label"].get(lang) or question["label"]["en"]
        given = [v.strip() for v in form.get(f"q_{key}", []) if v.strip()]
        options = {o["key"] for o in question.get("options", [])}
        if question.get("required") and not given:
            return Refusal(
                Kind.invalid, _("Please answer: {question}").format(question=label), "missing",
                field=f"q_{key}",
            )  # fmt: skip
        if not given:
            continue
        if question["kind"] == "text":
            if len(given[0]) > MAX_TEXT_ANSWER:
                return Refusal(
                    Kind.invalid,
                    _("The answer to “{question}” is longer than {n} characters.").format(
                        question=label, n=MAX_TEXT_ANSWER
                    ),
                    "too_long",
                    field=f"q_{key}",
                )
            answers[key] = given[0]
            continue
        if any(v not in options for v in given) or (
            question["kind"] == "choice" and len(given) > 1
        ):
            return Refusal(
                Kind.invalid, _("Choose among the options of: {question}").format(question=label),
                "bad_option", field=f"q_{key}",
            )  # fmt: skip
        answers[key] = given[0] if question["kind"] == "choice" else sorted(set(given))
    return answers


def read_consents(
    event: Event, form: Mapping[str, Sequence[str]], now: datetime
) -> dict[str, dict[str, str]] | Refusal:
    """The consents ticked (`c_KEY` fields), each with its text's version and the time."""
    lang = speaking()
    given: dict[str, dict[str, str]] = {}
    for consent in event.config.get("registration", {}).get("consents", []):
        key = consent["key"]
        ticked = "yes" in form.get(f"c_{key}", [])
        if consent.get("required", True) and not ticked:
            text = consent["text"].get(lang) or consent["text"]["en"]
            return Refusal(
                Kind.invalid, _("To register you must agree to: {text}").format(text=text),
                "consent_missing", field=f"c_{key}",
            )  # fmt: skip
        if ticked:
            given[key] = {"version": consent["version"], "at": now.isoformat()}
    return given


def _status_for_new_place(event: Event, session: Session, besides: int | None) -> str:
    registration = event.config.get("registration", {})
    capacity = registration.get("capacity")
    assert event.id is not None
    if capacity is not None and places_taken(session, event.id, besides=besides) >= capacity:
        return RegistrationStatus.WAITING.value
    if registration.get("mode") == "approval":
        return RegistrationStatus.PENDING.value
    return RegistrationStatus.REGISTERED.value


def register(
    session: Session, event: Event, user: User, form: Mapping[str, Sequence[str]]
) -> Registration | Refusal:
    """Register `user` (or update their answers); the status says whether they have a place.

    The caller commits; a refusal leaves nothing changed.
    """
    assert event.id is not None and user.id is not None
    lock_event(session, event.id)
    now = utcnow()
    closed = window_refusal(event, now)
    if closed is not None:
        return closed
    answers = read_answers(event, form)
    if isinstance(answers, Refusal):
        return answers
    consents = read_consents(event, form, now)
    if isinstance(consents, Refusal):
        return consents
    current = registration_of(session, event.id, user.id)
    if current is not None and current.status != RegistrationStatus.WITHDRAWN.value:
        current.answers = answers
        current.consents = {**current.consents, **consents}
        current.updated_at = now
        session.add(current)
        record(session, user, None, "registration.updated", f"event:{event.slug}",
               {"registration_id": current.id})  # fmt: skip
        return current
    status = _status_for_new_place(event, session, current.id if current else None)
    row = current or Registration(event_id=event.id, user_id=user.id, status=status)
    row.status = status
    row.answers = answers
    row.consents = consents
    row.checked_in_at = None
    row.created_at = now  # a place in line is taken when (re-)registering
    row.updated_at = now
    session.add(row)
    session.flush()
    record(session, user, None, "registration.created", f"event:{event.slug}",
           {"registration_id": row.id, "status": status})  # fmt: skip
    return row


def withdraw(session: Session, event: Event, user: User) -> Registration | Refusal:
    """Leave the event; a place this frees goes to the first in line."""
    assert event.id is not None and user.id is not None
    lock_event(session, event.id)
    current = registration_of(session, event.id, user.id)
    if current is None or current.status == RegistrationStatus.WITHDRAWN.value:
        return Refusal(Kind.conflict, _("You are not registered for this event."), "not_registered")
    held = current.status in {s.value for s in HOLDS_A_PLACE}
    current.status = RegistrationStatus.WITHDRAWN.value
    current.looking_for_team = False
    current.updated_at = utcnow()
    session.add(current)
    session.flush()
    record(session, user, None, "registration.withdrawn", f"event:{event.slug}",
           {"registration_id": current.id})  # fmt: skip
    if held:
        promote_from_line(session, event)
    return current


def promote_from_line(session: Session, event: Event) -> Registration | None:
    """Give a free place to the first person waiting (under the event's lock)."""
    assert event.id is not None
    capacity = event.config.get("registration", {}).get("capacity")
    if capacity is not None and places_taken(session, event.id) >= capacity:
        return None
    first = session.exec(
        select(Registration)
        .where(Registration.event_id == event.id)
        .where(Registration.status == RegistrationStatus.WAITING.value)
        .order_by(col(Registration.created_at), col(Registration.id))
    ).first()
    if first is None:
        return None
    approval = event.config.get("registration", {}).get("mode") == "approval"
    first.status = (RegistrationStatus.PENDING if approval else RegistrationStatus.REGISTERED).value
    first.updated_at = utcnow()
    session.add(first)
    record(session, None, None, "registration.promoted", f"event:{event.slug}",
           {"registration_id": first.id, "status": first.status})  # fmt: skip
    return first


def approve(
    session: Session, event: Event, registration_id: int, actor: User
) -> Registration | Refusal:
    assert event.id is not None
    lock_event(session, event.id)
    row = session.get(Registration, registration_id)
    if row is None or row.event_id != event.id:
        return Refusal(Kind.not_found, _("No such registration for this event."), "no_registration")
    if row.status != RegistrationStatus.PENDING.value:
        return Refusal(
            Kind.conflict, _("Only a registration waiting for approval can be approved."),
            "not_pending",
        )  # fmt: skip
    row.status = RegistrationStatus.REGISTERED.value
    row.updated_at = utcnow()
    session.add(row)
    record(session, actor, None, "registration.approved", f"event:{event.slug}",
           {"registration_id": row.id})  # fmt: skip
    return row


def registrations_of(session: Session, event_id: int) -> list[tuple[Registration, User]]:
    """Every registration of the event with its person, in the order they registered."""
    rows = session.exec(
        select(Registration, User)
        .join(User, col(User.id) == col(Registration.user_id))
        .where(Registration.event_id == event_id)
        .order_by(col(Registration.created_at), col(Registration.id))
    ).all()
    return [(r, u) for r, u in rows]


def export_csv(event: Event, rows: list[tuple[Registration, User]]) -> str:
    """Registrations for the organisers: answers, and each consent with its version and time."""
    questions = [q["key"] for q in event.config.get("registration", {}).get("questions", [])]
    consents = [c["key"] for c in event.config.get("registration", {}).get("consents", [])]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["name", "email", "status", "registered_at", "checked_in_at", *questions,
         *(f"consent_{k}_version" for k in consents), *(f"consent_{k}_at" for k in consents)]
    )  # fmt: skip
    for registration, user in rows:
        answers = [registration.answers.get(q, "") for q in questions]
        writer.writerow(
            [safe_cell(v) for v in (
                user.name, user.email, registration.status,
                as_utc(registration.created_at).isoformat(),
                as_utc(registration.checked_in_at).isoformat() if registration.checked_in_at else "",
                *(";".join(a) if isinstance(a, list) else str(a) for a in answers),
                *(registration.consents.get(k, {}).get("version", "") for k in consents),
                *(registration.consents.get(k, {}).get("at", "") for k in consents),
            )]
        )  # fmt: skip
    return out.getvalue()


MAX_PITCH = 500


def set_looking(
    session: Session, event: Event, user: User, looking: bool, pitch: str
) -> Registration | Refusal:
    """List (or unlist) a registered person on the event's teammates board."""
    assert event.id is not None and user.id is not None
    mine = registration_of(session, event.id, user.id)
    if mine is None or mine.status == RegistrationStatus.WITHDRAWN.value:
        return Refusal(
            Kind.conflict,
            _("Register for the event first: the board is for its participants."),
            "not_registered",
        )
    pitch = " ".join(pitch.split())
    if len(pitch) > MAX_PITCH:
        return Refusal(
            Kind.invalid,
            _("Keep the line under {n} characters.").format(n=MAX_PITCH),
            "too_long",
            field="pitch",
        )
    mine.looking_for_team = looking
    mine.pitch = pitch
    mine.updated_at = utcnow()
    session.add(mine)
    return mine


def looking_for_team(session: Session, event_id: int) -> list[tuple[Registration, User]]:
    """Registered people who asked to be found, newest first (they chose to be listed)."""
    rows = session.exec(
        select(Registration, User)
        .join(User, col(User.id) == col(Registration.user_id))
        .where(Registration.event_id == event_id)
        .where(col(Registration.looking_for_team).is_(True))
        .where(col(Registration.status) != RegistrationStatus.WITHDRAWN.value)
        .order_by(col(Registration.updated_at).desc())
    ).all()
    return [(r, u) for r, u in rows]
