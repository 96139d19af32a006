"""The real stack for browser tests: `marea serve` + `marea worker` + Chromium.

Nothing is faked: the site runs as the operator would run it (its own process,
its own SQLite file in a temporary data dir, Redis, the Docker runner image),
and the browser is the system Chromium driven by Playwright. A missing
component makes the tests fail with a message saying what to install, never
skip, because a skipped browser suite looks exactly like a passing one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_stack import Stack
from playwright.sync_api import Browser, sync_playwright

from tests.redis_urls import redis_url

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
MAREA = Path(sys.executable).parent / "marea"
REDIS_DB = 14
RUNNER_IMAGE = "marea-runner:latest"
AXE_PATH = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 60.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here `e2e`, so `-m "not e2e"` gives a quick run without a browser."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_services() -> None:
    """Docker with the runner image and Redis must be there: judging is part of the flow."""
    for script in ("ensure-redis.sh", "ensure-docker.sh"):
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / script)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"scripts/{script} failed:\n{done.stdout}{done.stderr}", pytrace=False)
    image = subprocess.run(
        ["docker", "image", "inspect", RUNNER_IMAGE], capture_output=True, check=False
    )
    if image.returncode != 0:
        pytest.fail(
            f"The sandbox image {RUNNER_IMAGE} is missing; build it with "
            "`.venv/bin/marea sandbox build-image` (or `make setup`).",
            pytrace=False,
        )


def _flush_test_redis() -> None:
    import redis

    client = redis.Redis.from_url(redis_url(REDIS_DB))
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {redis_url(REDIS_DB)} does not answer: {exc}", pytrace=False)
    finally:
        client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after a grace period."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes], stack: Stack) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"`marea serve` exited with {server.returncode}\n{stack.logs_tail()}", pytrace=False
            )
        try:
            answer = httpx.get(f"{base_url}/healthz", timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:500]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    pytest.fail(
        f"/healthz not healthy after {STARTUP_TIMEOUT_S:.0f} s: {last}\n{stack.logs_tail()}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Loads the bundled challenges, then runs the site and one judging worker."""
    _require_services()
    _flush_test_redis()
    data_dir = tmp_path_factory.mktemp("marea-e2e")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data_dir),
        "MAREA_REDIS_URL": redis_url(REDIS_DB),
        "MAREA_BASE_URL": base_url,
        "MAREA_SECRET_KEY": "e2e-secret-key-not-for-production-0123456789",
        "MAREA_RUNNER_IMAGE": RUNNER_IMAGE,
    }
    env.pop("MAREA_DATABASE_URL", None)
    loaded = subprocess.run(  # as `make catalog` does: hidden files generated into the data dir
        [str(MAREA), "challenge", "catalog", "--publish"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if loaded.returncode != 0:
        pytest.fail(
            f"`marea challenge catalog` failed:\n{loaded.stdout}{loaded.stderr}", pytrace=False
        )

    stack = Stack(base_url, data_dir, data_dir / "serve.log", data_dir / "worker.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for argv, log in (
            ([str(MAREA), "serve", "--port", str(port)], stack.server_log),
            ([str(MAREA), "worker", "--processes", "1"], stack.worker_log),
        ):
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        argv,
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its own group: SIGTERM reaches its children
                    )
                )
        _wait_healthy(base_url, processes[0], stack)
        yield stack
    finally:
        for process in reversed(processes):
            _stop(process)


def chromium_executable() -> str:
    """The system Chromium (Debian's package); Playwright's own download is never used."""
    path = os.environ.get("MAREA_E2E_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is not installed: run `bash scripts/ensure-browser.sh` "
            "(Debian: apt-get install chromium). Do not run `playwright install`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session; each test opens its own contexts."""
    executable = chromium_executable()
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_PATH.exists():
        pytest.fail(
            f"axe-core is missing at {AXE_PATH}: run `bash scripts/ensure-browser.sh`.",
            pytrace=False,
        )
    return AXE_PATH.read_text()
