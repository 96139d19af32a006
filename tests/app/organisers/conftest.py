"""The organiser pages on a real database (SQLite and PostgreSQL in turn) with Redis db 15."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.app.web.conftest import client, redis_15, web_settings

__all__ = ["client", "redis_15", "web_settings"]


@pytest.fixture
def site(client: TestClient) -> Iterator[TestClient]:
    """The app, with a pass-through `_` until the gettext one is installed in the environment."""
    env = client.app.state.templates.env  # type: ignore[attr-defined]
    env.globals.setdefault("_", lambda text, **values: text % values if values else text)
    yield client
