"""Mailing a notification: only to a verified address, only if the person wants that kind,
and always with a one-click way out (List-Unsubscribe, RFC 8058) for that kind alone.

Every notification of the site goes through `notify`, so a preference can never be
forgotten by one sender. The unsubscribe link is signed with the site's secret and names the
account and the kind: it never expires (an old mail must still let its reader out) and
needs no session, since a mail client posts it without one.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.i18n.speech import gettext as _
from app.mail.models import OutboxMail
from app.mail.service import queue_mail
from app.notifications.models import DEFAULTS, Notice, NoticeSent, NotificationChoice

UNSUBSCRIBE_SALT = "marea-unsubscribe"
UNSUBSCRIBE_PATH = "/notifications/unsubscribe/"


def choices(db: Session, user_id: int) -> dict[Notice, bool]:
    """Every kind with what this person wants (their choice, else the default)."""
    chosen = dict(DEFAULTS)
    rows = db.exec(select(NotificationChoice).where(col(NotificationChoice.user_id) == user_id))
    for row in rows:
        if row.kind in chosen:
            chosen[Notice(row.kind)] = row.enabled
    return chosen


def wants(db: Session, user_id: int, notice: Notice) -> bool:
    row = db.exec(
        select(NotificationChoice).where(
            col(NotificationChoice.user_id) == user_id, col(NotificationChoice.kind) == notice
        )
    ).first()
    return DEFAULTS[notice] if row is None else row.enabled


def choose(db: Session, user_id: int, notice: Notice, enabled: bool) -> bool:
    """Records the choice; True when it changed what the person gets."""
    before = wants(db, user_id, notice)
    row = db.exec(
        select(NotificationChoice).where(
            col(NotificationChoice.user_id) == user_id, col(NotificationChoice.kind) == notice
        )
    ).first()
    if row is None:
        db.add(NotificationChoice(user_id=user_id, kind=notice, enabled=enabled))
    else:
        row.enabled = enabled
        row.updated_at = utcnow()
        db.add(row)
    db.flush()
    return before != enabled


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key(), salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(settings: Settings, user_id: int, notice: Notice) -> str:
    return str(_serializer(settings).dumps({"u": user_id, "k": notice.value}))


def unsubscribe_url(settings: Settings, user_id: int, notice: Notice) -> str:
    token = unsubscribe_token(settings, user_id, notice)
    return f"{settings.base_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token}"


def read_unsubscribe(settings: Settings, token: str) -> tuple[int, Notice] | Refusal:
    """The account and kind a link names, or why it names nothing."""
    try:
        data = _serializer(settings).loads(token)
    except BadSignature:
        data = None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("u"), int)
        or data.get("k") not in Notice.__members__
    ):
        return invalid_link()
    return data["u"], Notice(data["k"])


def invalid_link() -> Refusal:
    return Refusal(
        Kind.invalid,
        _(
            "This unsubscribe link is not valid: it may have been cut by your mail program. "
            "Log in and choose your notifications on your account page instead."
        ),
        code="unsubscribe_link_invalid",
    )


def notify(
    db: Session,
    settings: Settings,
    *,
    user: User,
    notice: Notice,
    mail_kind: str,
    context: dict[str, Any],
) -> OutboxMail | None:
    """Queues the mail if `user` wants `notice` and has a verified address; the caller commits
    and then wakes the mail queue (`app.queue.mail_jobs.wake`)."""
    if user.id is None or not user.is_active or not user.email_verified:
        return None
    if not wants(db, user.id, notice):
        return None
    link = unsubscribe_url(settings, user.id, notice)
    return queue_mail(
        db,
        settings,
        to=user.email,
        kind=mail_kind,
        lang=user.language,
        context={**context, "unsubscribe_url": link, "notice": notice.value},
        user_id=user.id,
        unsubscribe_url=link,
    )


def once(db: Session, key: str) -> bool:
    """Takes `key` for this transaction: False when a notification with it was already sent
    (or is being sent by a transaction that commits first)."""
    if db.get(NoticeSent, key) is not None:
        return False
    try:
        with db.begin_nested():
            db.add(NoticeSent(key=key))
            db.flush()
    except IntegrityError:
        return False
    return True
