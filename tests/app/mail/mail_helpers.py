"""What the mail tests share: the SMTP server's inbox, a real mail worker, the outbox rows.

Mail leaves the site as in production: a page writes the outbox row, the mail queue gets
a job, and an RQ worker (a burst `SimpleWorker` in this process, reading its settings from
the environment like `marea worker`) talks SMTP to the server started here, which keeps
every message it accepts for the test to read.
"""

from __future__ import annotations

import email
import email.policy
import signal
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient
from rq import SimpleWorker
from sqlmodel import Session as DbSession
from sqlmodel import select

from app.core.redis import redis_client
from app.core.settings import Settings, get_settings
from app.mail.models import OutboxMail
from app.queue.connection import mail_queue
from app.queue.mail_jobs import sweep_mail


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Inbox:
    """What the server accepted, parsed; `refuse` makes it answer 451 to every mail."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False
    refused: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class MailWorker(SimpleWorker):
    """RQ's SimpleWorker without its command channel: stopping the channel's thread waits out
    its 60-second poll, and a burst in a test takes no commands."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def _env(settings: Settings) -> dict[str, str]:
    return {
        "MAREA_DATA_DIR": str(settings.data_dir),
        "MAREA_DATABASE_URL": settings.database_url,
        "MAREA_REDIS_URL": settings.redis_url,
        "MAREA_QUEUE_NAME": settings.queue_name,
        "MAREA_SMTP_URL": settings.smtp_url,
        "MAREA_MAIL_FROM": settings.mail_from,
        "MAREA_MAIL_REPLY_TO": settings.mail_reply_to,
        "MAREA_MAIL_RETRY_BASE_S": str(settings.mail_retry_base_s),
        "MAREA_MAIL_MAX_ATTEMPTS": str(settings.mail_max_attempts),
        "MAREA_SMTP_TIMEOUT_S": str(settings.smtp_timeout_s),
    }


def run_mail_worker(site: TestClient, settings: Settings, *, sweeps: int = 10) -> None:
    """Sends what is due with a real RQ worker, sweeping between rounds so that retries go out,
    until nothing is due any more (or `sweeps` rounds passed)."""
    engine = site.app.state.engine  # type: ignore[attr-defined]
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in _env(settings).items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        client = redis_client(settings)
        try:
            queue = mail_queue(settings, client)
            for _ in range(sweeps):
                sweep_mail(engine, client, settings)
                if queue.count == 0:
                    break
                worker = MailWorker([queue], connection=client)
                worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            get_settings.cache_clear()
            client.close()


def outbox(site: TestClient) -> list[OutboxMail]:
    engine = site.app.state.engine  # type: ignore[attr-defined]
    with DbSession(engine) as db:
        return list(db.exec(select(OutboxMail).order_by(OutboxMail.id)))  # type: ignore[arg-type]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: Any = part.get_content()
    return str(content)


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    content: Any = part.get_content()
    return str(content)
