"""Check-in at the venue: a QR code per participant, read by an organiser's phone.

The code holds a link to the organisers' check-in page for that registration, signed so
that nobody can make one for another person or event; the page itself is for the event's
organisers only, so a code photographed by someone else opens nothing for them.
"""

from __future__ import annotations

import segno
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlmodel import Session

from app.accounts.models import User
from app.audit.service import record
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.events.models import Event, Registration, RegistrationStatus
from app.i18n.speech import gettext as _

SALT = "marea-check-in"


def token_for(secret: str, registration: Registration) -> str:
    data = {"e": registration.event_id, "r": registration.id}
    return str(URLSafeSerializer(secret, salt=SALT).dumps(data))


def registration_id_from(secret: str, event: Event, token: str) -> int | None:
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("e") != event.id
        or not isinstance(data.get("r"), int)
    ):
        return None
    return int(data["r"])


def qr_svg(link: str, title: str) -> Markup:
    """The link as an inline SVG QR code (made here, so no outside request and no script)."""
    svg = segno.make(link, error="m").svg_inline(scale=6, title=title, border=2, omitsize=True)
    return Markup(svg)  # segno escapes the title; the rest is markup it made itself


def check_in(
    session: Session, event: Event, registration_id: int, actor: User, *, undo: bool = False
) -> Registration | Refusal:
    row = session.get(Registration, registration_id)
    if row is None or row.event_id != event.id:
        return Refusal(Kind.not_found, _("No such registration for this event."), "no_registration")
    if row.status != RegistrationStatus.REGISTERED.value:
        return Refusal(
            Kind.conflict, _("Only a registered participant can be checked in."), "not_registered"
        )
    row.checked_in_at = None if undo else (row.checked_in_at or utcnow())
    row.updated_at = utcnow()
    session.add(row)
    record(session, actor, None, "registration.check_in_undone" if undo else "registration.checked_in",
           f"event:{event.slug}", {"registration_id": row.id})  # fmt: skip
    return row
