"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, and the site sending to it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.app.mail.mail_helpers import Inbox, SmtpServer, free_port
from tests.redis_urls import redis_base, redis_url


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()


@pytest.fixture
def mail_redis() -> Iterator[redis.Redis]:
    """Redis db 15 without the rate limiters' counts (this suite's keys only)."""
    client = redis.Redis.from_url(redis_url(15))
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_base()} (run `make services`): {exc}")

    def clear() -> None:
        for pattern in ("marea:login:*", "marea:signup:*", "marea:mailreq:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    clear()
    yield client
    clear()
    client.close()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    settings.base_url = APP_URL
    settings.smtp_url = smtp_server.url
    settings.mail_from = "Marea <noreply@marea.example>"
    settings.mail_reply_to = "organisers@marea.example"
    settings.queue_name = f"mailtest-{uuid.uuid4().hex[:8]}"  # a queue of this test's own
    settings.mail_retry_base_s = 0.0  # each retry due at once: the sweep hands it out
    settings.mail_max_attempts = 3
    return settings


@pytest.fixture
def site(mail_settings: Settings, mail_redis: redis.Redis) -> Iterator[TestClient]:
    app = create_app(mail_settings)
    with TestClient(app, base_url=APP_URL) as client:
        yield client
    app.state.engine.dispose()
