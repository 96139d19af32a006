"""The questions' pages, API and streams on a real database (SQLite and PostgreSQL in turn)
with Redis db 15, and a served copy of the app for the live streams."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.app.web.conftest import client, redis_15, web_settings

__all__ = ["client", "redis_15", "served", "web_settings"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(client: TestClient) -> Iterator[str]:
    """The test client's app served by uvicorn, for streams read while pages are posted."""
    port = _free_port()
    config = uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
