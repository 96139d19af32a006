"""The site on a real database with Redis db 15, a world of people around one event, and the
real SMTP server of tests/app/mail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.app.announcements.ann_helpers import World, build_world
from tests.app.mail.conftest import mail_redis, mail_settings, site, smtp_server
from tests.redis_urls import redis_base, redis_url

__all__ = ["mail_redis", "mail_settings", "site", "smtp_server"]


@pytest.fixture
def redis_15() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url(15))
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_base()} (run `make services`): {exc}")
    yield client
    client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def ann_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    settings.base_url = APP_URL
    settings.queue_name = "marea-announcement-tests"
    if request.param == "sqlite":
        yield settings
        return
    settings.database_url = request.getfixturevalue("postgres_url")
    yield settings
    from app.core.db import make_engine

    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


@pytest.fixture
def client(ann_settings: Settings, redis_15: redis.Redis) -> Iterator[TestClient]:
    app = create_app(ann_settings)
    with TestClient(app, base_url=APP_URL) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def world(client: TestClient) -> World:
    return build_world(client)
