"""The outbox: writing a mail, the guarded transitions of its attempts, and one delivery.

Nothing here knows about the queue: a request writes the row (`queue_mail`) in its own
transaction and the page wakes the queue after the commit; a job of app/queue/mail_jobs.py
calls `deliver`, which claims the row, talks to the SMTP server and records what
happened. Every transition is an UPDATE guarded by the row's status and attempt number,
so a duplicate job, a late job or two sweepers never send one attempt twice.

Retries back off: attempt n waits `mail_retry_base_s * 2**(n-1)` (at most a day). A 5xx
answer from the server (a recipient it will never accept) is not retried. After
`max_attempts` failures the mail is `failed`, with the server's last words, on
/admin/outbox, where an administrator may send it again.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.i18n.speech import gettext as _
from app.mail.models import MailStatus, OutboxMail
from app.mail.render import mail_language, render_mail
from app.mail.smtp import SmtpUrlError, build_message, parse_smtp_url, send_message

log = logging.getLogger(__name__)

LONGEST_WAIT = timedelta(days=1)
PAGE_SIZE = 50
RESENDABLE = frozenset({MailStatus.failed, MailStatus.held})


def queue_mail(
    db: Session,
    settings: Settings,
    *,
    to: str,
    kind: str,
    lang: str | None,
    context: dict[str, Any],
    user_id: int | None = None,
    unsubscribe_url: str = "",
) -> OutboxMail:
    """Writes the mail, rendered now in the recipient's language; the caller commits, then
    wakes the queue (`app.queue.mail_jobs.wake`). The body is stored as it was sent, so
    administrators read on /admin/outbox exactly what the person got."""
    language = mail_language(lang, settings.default_language)
    rendered = render_mail(kind, language, {"site_url": settings.base_url, **context})
    now = utcnow()
    mail = OutboxMail(
        to_address=to,
        user_id=user_id,
        kind=kind,
        language=language,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        unsubscribe_url=unsubscribe_url,
        status=MailStatus.queued,
        max_attempts=settings.mail_max_attempts,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(mail)
    db.flush()
    return mail


def retry_wait(base_s: float, failures: int) -> timedelta:
    """How long after its `failures`-th failure a mail waits before the next attempt."""
    return min(LONGEST_WAIT, timedelta(seconds=base_s * 2 ** max(0, failures - 1)))


def _move(db: Session, mail_id: int, *where: Any, **values: Any) -> bool:
    result = db.execute(
        update(OutboxMail)
        .where(col(OutboxMail.id) == mail_id, *where)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim(db: Session, mail_id: int, attempt: int) -> OutboxMail | None:
    """The mail, now `sending`, if attempt number `attempt` of it is due and nobody holds it."""
    now = utcnow()
    won = _move(
        db,
        mail_id,
        col(OutboxMail.status) == MailStatus.queued,
        col(OutboxMail.attempts) == attempt,
        col(OutboxMail.next_attempt_at) <= now,
        status=MailStatus.sending,
        claimed_at=now,
    )
    if not won:
        return None
    db.flush()
    mail = db.get(OutboxMail, mail_id, populate_existing=True)
    return mail


def record_sent(db: Session, mail_id: int, attempt: int) -> bool:
    now = utcnow()
    return _move(
        db,
        mail_id,
        col(OutboxMail.status) == MailStatus.sending,
        col(OutboxMail.attempts) == attempt,
        status=MailStatus.sent,
        attempts=attempt + 1,
        sent_at=now,
        last_error="",
    )


def record_failure(
    db: Session, mail_id: int, attempt: int, error: str, *, retry_base_s: float, permanent: bool
) -> MailStatus | None:
    """Counts a failed attempt: `queued` again after the back-off, or `failed` for good."""
    mail = db.get(OutboxMail, mail_id, populate_existing=True)
    if mail is None or mail.status != MailStatus.sending or mail.attempts != attempt:
        return None
    failures = attempt + 1
    gave_up = permanent or failures >= mail.max_attempts
    status = MailStatus.failed if gave_up else MailStatus.queued
    won = _move(
        db,
        mail_id,
        col(OutboxMail.status) == MailStatus.sending,
        col(OutboxMail.attempts) == attempt,
        status=status,
        attempts=failures,
        last_error=error[:2000],
        next_attempt_at=utcnow() + retry_wait(retry_base_s, failures),
    )
    return status if won else None


def hold(db: Session, mail_id: int, attempt: int) -> bool:
    """No SMTP server is configured: the mail stays in the outbox (and the log)."""
    return _move(
        db,
        mail_id,
        col(OutboxMail.status) == MailStatus.sending,
        col(OutboxMail.attempts) == attempt,
        status=MailStatus.held,
        last_error="no SMTP server (MAREA_SMTP_URL is empty)",
    )


def _is_permanent(exc: BaseException) -> bool:
    """A 5xx answer: the server will never take this mail as it is, so retrying is pointless."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError)
    return isinstance(exc, SmtpUrlError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Delivery:
    """What one job did with one attempt: `outcome` is a MailStatus or "skipped"."""

    outcome: str
    error: str = ""


def deliver(engine: Engine, settings: Settings, mail_id: int, attempt: int) -> Delivery:
    """Attempt number `attempt` of the mail: claimed, handed to the SMTP server, recorded.

    The SMTP conversation happens outside any transaction, so a slow server holds no
    database connection; a worker killed in the middle leaves the row `sending`, and the
    sweeper (`recover_stalled`) counts that attempt as failed.
    """
    with Session(engine, expire_on_commit=False) as db:
        mail = claim(db, mail_id, attempt)
        db.commit()
    if mail is None:
        return Delivery("skipped")
    if not settings.smtp_url.strip():
        with Session(engine) as db:
            hold(db, mail_id, attempt)
            db.commit()
        log.info(
            "mail %s held in the outbox (no MAREA_SMTP_URL): to %s, subject %r\n%s",
            mail_id,
            mail.to_address,
            mail.subject,
            mail.body_text,
        )
        return Delivery(MailStatus.held)
    try:
        server = parse_smtp_url(settings.smtp_url)
        message = build_message(
            sender=settings.mail_from,
            reply_to=settings.mail_reply_to,
            to=mail.to_address,
            subject=mail.subject,
            text=mail.body_text,
            html=mail.body_html,
            language=mail.language,
            mail_id=mail_id,
            unsubscribe_url=mail.unsubscribe_url,
        )
        helo = urlsplit(settings.base_url).hostname or "localhost"
        send_message(server, message, timeout_s=settings.smtp_timeout_s, helo_name=helo)
    except (smtplib.SMTPException, OSError, SmtpUrlError, ValueError) as exc:
        error = _describe(exc)
        with Session(engine) as db:
            status = record_failure(
                db,
                mail_id,
                attempt,
                error,
                retry_base_s=settings.mail_retry_base_s,
                permanent=_is_permanent(exc),
            )
            db.commit()
        log.warning("mail %s attempt %s failed (%s): %s", mail_id, attempt + 1, status, error)
        return Delivery(str(status or "skipped"), error)
    with Session(engine) as db:
        record_sent(db, mail_id, attempt)
        db.commit()
    log.info("mail %s sent to %s", mail_id, mail.to_address)
    return Delivery(MailStatus.sent)


def due_mails(db: Session, *, limit: int = 100) -> list[tuple[int, int]]:
    """(id, attempts) of the mails whose next attempt is due, oldest first."""
    rows = db.exec(
        select(OutboxMail.id, OutboxMail.attempts)
        .where(
            col(OutboxMail.status) == MailStatus.queued,
            col(OutboxMail.next_attempt_at) <= utcnow(),
        )
        .order_by(col(OutboxMail.next_attempt_at), col(OutboxMail.id))
        .limit(limit)
    ).all()
    return [(int(mail_id or 0), attempts) for mail_id, attempts in rows]


def recover_stalled(db: Session, settings: Settings) -> list[int]:
    """Mails a worker claimed and never finished (killed mid-conversation): a failed attempt."""
    cutoff = utcnow() - timedelta(seconds=settings.smtp_timeout_s * 4 + 60)
    stalled = db.exec(
        select(OutboxMail.id, OutboxMail.attempts).where(
            col(OutboxMail.status) == MailStatus.sending, col(OutboxMail.claimed_at) < cutoff
        )
    ).all()
    moved = []
    for mail_id, attempts in stalled:
        assert mail_id is not None
        if record_failure(
            db,
            mail_id,
            attempts,
            "the worker stopped while sending this mail",
            retry_base_s=settings.mail_retry_base_s,
            permanent=False,
        ):
            moved.append(mail_id)
    return moved


def resend(db: Session, mail_id: int) -> OutboxMail | Refusal:
    """An administrator sends a failed (or held) mail again, with a fresh count of attempts."""
    mail = db.get(OutboxMail, mail_id)
    if mail is None:
        return Refusal(Kind.not_found, _("No mail has the number {number}.").format(number=mail_id))
    if mail.status not in RESENDABLE:
        return Refusal(
            Kind.conflict,
            _("Only a failed or held mail can be sent again; this one is {status}.").format(
                status=mail.status
            ),
        )
    now = utcnow()
    mail.status = MailStatus.queued
    mail.attempts = 0
    mail.last_error = ""
    mail.next_attempt_at = now
    mail.claimed_at = None
    mail.updated_at = now
    db.add(mail)
    db.flush()
    return mail


@dataclass(frozen=True)
class OutboxPage:
    mails: list[OutboxMail]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def outbox_page(db: Session, *, status: str = "", page: int = 1) -> OutboxPage:
    """The newest mails first, optionally of one status, with how many there are of each."""
    where = [col(OutboxMail.status) == status] if status else []
    total = db.exec(select(func.count()).select_from(OutboxMail).where(*where)).one()
    pages = max(1, -(-int(total) // PAGE_SIZE))
    page = min(max(1, page), pages)
    mails = db.exec(
        select(OutboxMail)
        .where(*where)
        .order_by(col(OutboxMail.created_at).desc(), col(OutboxMail.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    counts = {
        str(s): int(n)
        for s, n in db.exec(
            select(OutboxMail.status, func.count()).group_by(col(OutboxMail.status))
        ).all()
    }
    return OutboxPage(list(mails), int(total), page, pages, counts)
