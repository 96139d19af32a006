"""`marea submit` to a project phase, against a real server (uvicorn in a subprocess): refused,
with the server's message pointing at the project page, and nothing created."""

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
from sqlmodel import Session, func, select

from app.accounts.tokens import create_token
from app.bundles import validate_bundle
from app.core.db import make_engine, migrate, session_scope
from app.submissions.models import Submission
from tests.app.projects_only.project_helpers import BUNDLE, PHASE, SLUG
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
    """A site whose one challenge is the project-only fixture, and a team member's token."""
    data = tmp_path / "var"
    engine = make_engine(f"sqlite:///{data / 'marea.db'}")
    migrate(engine)
    with validate_bundle(BUNDLE) as report:
        assert report.challenge is not None
        config = report.challenge.model_dump(mode="json")
    with session_scope(engine) as session:
        challenge, phase = make_challenge(session, SLUG)
        challenge.config = config
        phase.name, phase.kind = PHASE, "project"
        session.add(phase)
        user = make_user(session)
        make_team(session, challenge, user)
        secret = create_token(session, user, "cli").secret  # type: ignore[union-attr]
    port = _free_port()
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data),
        "MAREA_REDIS_URL": redis_url(15),
        "MAREA_QUEUE_NAME": "marea-cli-project-tests",
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


def test_marea_submit_to_a_project_phase_is_refused(
    server: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, token, data = server
    preds = tmp_path / "preds.csv"
    preds.write_bytes(b"id,value\n1,0.5\n")
    env = {**os.environ, "MAREA_URL": url, "MAREA_TOKEN": token}
    done = subprocess.run(
        [MAREA, "submit", SLUG, str(preds)],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.split())
    assert "409" in said and "takes a project" in said, said
    assert f"/challenges/{SLUG}/project" in said
    engine = make_engine(f"sqlite:///{data / 'marea.db'}")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Submission)).one() == 0
    engine.dispose()


def test_marea_judge_explains_that_a_project_phase_is_not_scored(tmp_path: Path) -> None:
    """`marea judge` on the project-only bundle stops before the sandbox, saying why."""
    preds = tmp_path / "preds.csv"
    preds.write_bytes(b"id,value\n1,0.5\n")
    env = {**os.environ, "MAREA_DATA_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [MAREA, "judge", str(BUNDLE), str(preds)],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.split())
    assert f"phase '{PHASE}' is a project phase" in said and "nothing to judge" in said
