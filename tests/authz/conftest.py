"""The authorization matrix runs one app per module, on SQLite, with Redis db 9 to itself.

`settings` is overridden here with module scope so the people and the shared world are
built once for the whole table, not once per row. Only db 9 is ever flushed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.authz.authz_world import Cast, World, build_world, make_cast
from tests.redis_urls import redis_base, redis_url

REDIS_DB = 9


@pytest.fixture(scope="module")
def redis_9() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url(REDIS_DB))
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_base()} (run `make services`): {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, redis_9: redis.Redis) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("authz") / "var"
    return Settings(
        data_dir=data_dir,
        redis_url=redis_url(REDIS_DB),
        base_url=APP_URL,
        queue_name="marea-authz",
        # Every role asks for mail from the same client address: the matrix tests who may,
        # not how often (tests/app/mail does).
        mail_requests_per_ip=1000,
        mail_requests_per_address=1000,
    )


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url=APP_URL) as client:
        yield client


@pytest.fixture(scope="module")
def cast(site: TestClient) -> Cast:
    return make_cast(site)


@pytest.fixture(scope="module")
def world(cast: Cast) -> World:
    """The world rows that change nothing share: challenge `sea-temp`."""
    return build_world(cast, "sea-temp")
