"""The real site on a real database file (SQLite, then PostgreSQL), for the team races.

The site is the app behind TestClient: each caller gets a client of its own, and a client
used outside a `with` block runs every request on an event loop of its own, so requests from
different threads run the route handlers (and their database transactions) truly at once.
Submissions made here go to a queue of this suite's own in Redis db 15 (emptied afterwards);
no worker judges them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from app.core.db import make_engine
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.redis_urls import redis_base

QUEUE = "marea-team-races"


def _empty_queue(settings: Settings) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_base()} (run `make services`): {exc}")
    jobs = client.lrange(f"rq:queue:{QUEUE}", 0, -1)
    client.delete(f"rq:queue:{QUEUE}", *(b"rq:job:" + job for job in jobs))
    client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    settings.base_url = APP_URL
    settings.queue_name = QUEUE
    if request.param == "postgresql":
        settings.database_url = request.getfixturevalue("postgres_url")
    _empty_queue(settings)
    with TestClient(create_app(settings), base_url=APP_URL) as client:
        yield client
    _empty_queue(settings)
    if request.param == "postgresql":
        engine = make_engine(settings.database_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        engine.dispose()
