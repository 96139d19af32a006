"""The web app on a real database (SQLite and PostgreSQL in turn) with Redis db 15."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.redis_urls import redis_base, redis_url


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
def web_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    settings.base_url = APP_URL
    settings.queue_name = "marea-web-tests"
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
def client(web_settings: Settings, redis_15: redis.Redis) -> Iterator[TestClient]:
    redis_15.delete(f"rq:queue:{web_settings.queue_name}")
    with TestClient(create_app(web_settings), base_url=APP_URL) as test_client:
        yield test_client
    redis_15.delete(f"rq:queue:{web_settings.queue_name}")
