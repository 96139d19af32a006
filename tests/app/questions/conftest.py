"""The questions' pages, API and streams on a real database (SQLite and PostgreSQL in turn)
with Redis db 15, and a served copy of the app for the live streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.app.web.conftest import client, redis_15, web_settings
from tests.served import served as serve_app

__all__ = ["client", "redis_15", "served", "web_settings"]


@pytest.fixture
def served(client: TestClient) -> Iterator[str]:
    """The test client's app served by uvicorn, for streams read while pages are posted."""
    with serve_app(client.app) as url:
        yield url
