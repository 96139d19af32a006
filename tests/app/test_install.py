"""A non-editable install serves the same site as the checkout: pages, scripts, translations.

The wheel is built from the checkout and installed (without its dependencies, which the suite's
environment already has) into a folder of its own; `marea serve` then runs from that folder,
in a directory far from the checkout, beside a `marea serve` of the checkout on the same data.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT
from tests.redis_urls import redis_url

PAGES = ("/", "/?lang=en", "/login", "/signup?lang=en", "/static/marea.css", "/static/submit.js")
CSRF = re.compile(rb'name="csrf_token" value="[^"]+"')


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _serving(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    port = _port()
    code = "import sys; from app.cli.main import main; sys.argv[1:] = ['serve', '--port', '%d']; main()"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code % port], env=env, cwd=cwd, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=2).status_code in (200, 503):
                    break
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_an_installed_wheel_serves_the_checkouts_pages(tmp_path: Path) -> None:
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(wheels), str(PROJECT_ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("marea-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("MAREA_")}
    base.update(
        MAREA_DATA_DIR=str(tmp_path / "var"),
        MAREA_REDIS_URL=redis_url(3),
        MAREA_SECRET_KEY="install-test-secret-key-0123456789abcdef",
    )
    installed = {**base, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import app, judging; print(app.__file__, judging.__file__)"],
        env=installed, cwd=tmp_path, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert where.count(str(site)) == 2, f"not the installed package: {where}"
    seen: dict[str, dict[str, tuple[int, bytes]]] = {}
    for name, env, cwd in (("checkout", base, PROJECT_ROOT), ("installed", installed, tmp_path)):
        with (
            _serving(env, cwd, tmp_path / f"{name}.log") as url,
            httpx.Client(base_url=url, timeout=30) as client,
        ):
            seen[name] = {}
            for page in PAGES:
                answer = client.get(page)
                body = CSRF.sub(b"csrf", answer.content).replace(url.encode(), b"SITE")
                seen[name][page] = (answer.status_code, body)
    for page in PAGES:
        status, body = seen["installed"][page]
        assert status == 200, (page, body[:500])
        assert (status, body) == seen["checkout"][page], f"{page} differs from the checkout's"
    assert b"Italiano" in seen["installed"]["/"][1], "the Italian catalog and the layout render"


@pytest.fixture(autouse=True)
def _no_stray_bytecode() -> Iterator[None]:
    """Building the wheel must not leave build/ or egg-info behind in the checkout."""
    before = {p.name for p in PROJECT_ROOT.iterdir()}
    yield
    for name in {p.name for p in PROJECT_ROOT.iterdir()} - before:
        if name == "build" or name.endswith(".egg-info"):
            subprocess.run(["rm", "-rf", str(PROJECT_ROOT / name)], check=False)
