"""The real site on a real database file (SQLite, then PostgreSQL), for the team races.

The site is the app behind TestClient: each caller gets a client of its own, and a client
used outside a `with` block runs every request on an event loop of its own, so requests from
different threads run the route handlers (and their database transactions) truly at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.app.accounts.helpers import APP_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    settings.base_url = APP_URL
    if request.param == "postgresql":
        settings.database_url = request.getfixturevalue("postgres_url")
    with TestClient(create_app(settings), base_url=APP_URL) as client:
        yield client
    if request.param == "postgresql":
        engine = make_engine(settings.database_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        engine.dispose()
