"""The outside tester's attacks, replayed against a served `marea serve` over real HTTP.

A copied session cookie after logout, a token minting tokens, and `marea submit` with a
read-only token: each now fails the way docs/reliability.md says.
"""

from __future__ import annotations

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
import redis
from sqlmodel import select

from app.accounts.models import ApiToken, TokenScope, User
from app.accounts.tokens import create_token
from app.core.db import make_engine, migrate, session_scope
from tests.app.accounts.helpers import PASSWORD
from tests.factories import make_challenge, make_team
from tests.redis_urls import redis_url

MAREA = str(Path(sys.executable).with_name("marea"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data = tmp_path / "var"
    migrate(make_engine(f"sqlite:///{data / 'marea.db'}"))
    port = _free_port()
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data),
        "MAREA_REDIS_URL": redis_url(15),
        "MAREA_QUEUE_NAME": "marea-accounts-served",
        "MAREA_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [MAREA, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(f"`marea serve` did not start: {(tmp_path / 'serve.log').read_text()}")
        yield url, data
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        queue = redis.Redis.from_url(redis_url(15))
        queue.delete("rq:queue:marea-accounts-served")
        queue.close()


def _csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def test_a_cookie_copied_before_logout_is_dead_after_it(served: tuple[str, Path]) -> None:
    url, _ = served
    with httpx.Client(base_url=url) as browser:
        signed_up = browser.post(
            "/signup",
            data={
                "name": "Ada",
                "email": "ada@example.org",
                "password": PASSWORD,
                "csrf_token": _csrf(browser, "/signup"),
            },
        )
        assert signed_up.status_code == 303
        stolen = dict(browser.cookies)
        with httpx.Client(base_url=url, cookies=stolen) as thief:
            assert thief.get("/api/v1/me").status_code == 200
            logout = browser.post("/logout", data={"csrf_token": _csrf(browser, "/account")})
            assert logout.status_code == 303
            assert thief.get("/api/v1/me").status_code == 401
            assert thief.get("/account").status_code == 303  # to the login page


def test_a_token_cannot_mint_tokens_and_a_read_token_cannot_submit(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, data = served
    engine = make_engine(f"sqlite:///{data / 'marea.db'}")
    with session_scope(engine) as db:
        challenge, _ = make_challenge(db, "sea-temp")
        user = User(email="ada@example.org", name="Ada")
        db.add(user)
        db.flush()
        make_team(db, challenge, user)
        read = create_token(db, user, "notebook", TokenScope.read).secret  # type: ignore[union-attr]
        submit = create_token(db, user, "laptop", TokenScope.submit).secret  # type: ignore[union-attr]
    minted = httpx.post(
        f"{url}/account/tokens",
        data={"name": "child", "scope": "submit"},
        headers={"Authorization": f"Bearer {submit}"},
    )
    assert minted.status_code == 403 and "account page" in minted.text
    with session_scope(engine) as db:
        assert len(db.exec(select(ApiToken)).all()) == 2, "no token was minted"
    preds = tmp_path / "preds.csv"
    preds.write_bytes(b"id,value\n1,0.5\n")
    env = {**os.environ, "MAREA_URL": url}
    refused = subprocess.run(
        [MAREA, "submit", "sea-temp", str(preds), "--token", read],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0
    said = " ".join((refused.stdout + refused.stderr).split())
    assert "refused (403)" in said and "submit" in said and "scope" in said, said
    accepted = subprocess.run(
        [MAREA, "submit", "sea-temp", str(preds), "--token", submit],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert accepted.returncode == 0 and "queued" in accepted.stdout, accepted.stderr
    engine.dispose()
