"""`marea submit` against a real server (uvicorn in a subprocess) on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlmodel import Session, select

from app.accounts.tokens import create_token
from app.core.db import make_engine, migrate, session_scope
from app.live.notify import notify_status
from app.submissions.models import Score, Status, Submission
from tests.factories import make_challenge, make_team, make_user
from tests.redis_urls import redis_url

ROOT = Path(__file__).resolve().parents[3]
MAREA = str(Path(sys.executable).parent / "marea")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    data = tmp_path / "var"
    engine = make_engine(f"sqlite:///{data / 'marea.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        challenge, _ = make_challenge(session, "sea-temp")
        challenge.config = {
            "leaderboard": {"rank_by": "rmse", "columns": [{"key": "rmse", "precision": 3}]}
        }
        user = make_user(session)
        make_team(session, challenge, user)
        made = create_token(session, user, "cli")
        secret = made.secret  # type: ignore[union-attr]
    port = _free_port()
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data),
        "MAREA_REDIS_URL": redis_url(15),
        "MAREA_QUEUE_NAME": "marea-cli-tests",
        "MAREA_SECRET_KEY": "cli-test-secret",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/api/v1/challenges", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        yield url, secret, data
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        engine.dispose()


def _cli(url: str, token: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MAREA_URL": url, "MAREA_TOKEN": token}
    return subprocess.Popen(
        [MAREA, "submit", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_submit_creates_the_submission_and_wait_prints_scores(
    server: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, token, data = server
    preds = tmp_path / "preds.csv"
    preds.write_bytes(b"id,value\n" + b"1,0.5\n" * 50_000)
    done = _cli(url, token, "sea-temp", str(preds))
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert "queued" in out
    engine = make_engine(f"sqlite:///{data / 'marea.db'}")
    with Session(engine) as session:
        first = session.exec(select(Submission)).one()
        assert first.size == preds.stat().st_size and first.filename == "preds.csv"

    waiting = _cli(url, token, "sea-temp", str(preds), "--wait")
    sid = None
    for _ in range(150):
        with Session(engine) as session:
            rows = session.exec(select(Submission).where(Submission.id != first.id)).all()
        if rows:
            sid = rows[0].id
            break
        time.sleep(0.2)
    assert sid is not None, "the second submission was created"
    with Session(engine) as session:
        s = session.get(Submission, sid)
        assert s is not None
        s.status = Status.scored
        session.add(s)
        session.add(Score(submission_id=sid, split="public", key="rmse", value=0.125))
        session.commit()
    notify_status(engine, redis.Redis.from_url(redis_url(15)), sid)
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "scored" in out and "rmse = 0.125" in out

    refused = _cli(url, "marea_not-a-token", "sea-temp", str(preds))
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "not valid" in err
