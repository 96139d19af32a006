"""`marea serve` as a real subprocess on a free port, for tests that need the real server.

Whatever uvicorn itself does (its HTTP protocol, its timeouts, proxy headers) cannot be seen
through TestClient, which calls the ASGI app directly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

MAREA = str(Path(sys.executable).with_name("marea"))
STARTUP_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def marea_serve(root: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """(base URL, port) of `marea serve` with `env` over this process's environment."""
    port = free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [MAREA, "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server, log)
            yield base, port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"`marea serve` did not start:\n{log.read_text()[-3000:]}")
