"""The `marea` command end to end, as subprocesses on a fresh data directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app.core.db import make_engine
from app.models import AuditEvent, Challenge, DataFile, Phase, User
from tests.conftest import PROJECT_ROOT
from tests.redis_urls import redis_url

MAREA = str(Path(sys.executable).with_name("marea"))
CHALLENGES = sorted(
    p for p in (PROJECT_ROOT / "challenges").iterdir() if (p / "challenge.yaml").exists()
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MAREA_DATA_DIR": str(tmp_path / "var"),
        "MAREA_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "MAREA_REDIS_URL": redis_url(11),
    }


def marea(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAREA, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_load_is_idempotent_and_records_every_file(env: dict[str, str], tmp_path: Path) -> None:
    # The catalog as `make catalog` loads it: generated challenges get their hidden files once.
    first = marea(env, "challenge", "catalog", "--publish")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created") == len(CHALLENGES) + 1  # and the demo event
    assert f"created   event hackathon-del-mare ({len(CHALLENGES)} challenges, published)" in (
        first.stdout
    )
    engine = make_engine(env["MAREA_DATABASE_URL"])
    with Session(engine) as session:
        snapshot = (
            [c.model_dump() for c in session.exec(select(Challenge))],
            [p.model_dump() for p in session.exec(select(Phase))],
            [f.model_dump() for f in session.exec(select(DataFile))],
            len(session.exec(select(AuditEvent)).all()),
        )
        files = session.exec(select(DataFile)).all()
    assert all(len(f.sha256) == 64 for f in files)
    roles = {f.role for f in files}
    assert {"public", "reference", "page", "baseline", "starter", "challenge.yaml"} <= roles
    second = marea(env, "challenge", "catalog", "--publish")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("unchanged") == len(CHALLENGES) + 1
    with Session(engine) as session:
        again = (
            [c.model_dump() for c in session.exec(select(Challenge))],
            [p.model_dump() for p in session.exec(select(Phase))],
            [f.model_dump() for f in session.exec(select(DataFile))],
            len(session.exec(select(AuditEvent)).all()),
        )
    assert again == snapshot  # loading twice changed nothing at all


def test_load_refuses_an_invalid_bundle_with_located_errors(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "challenge.yaml").write_text("format: 1\nslug: Bad Slug\n")
    result = marea(env, "challenge", "load", str(broken))
    assert result.returncode == 1
    assert "challenge.yaml:2:" in result.stderr
    assert "fix:" in result.stderr


@pytest.mark.docker  # `marea judge` runs the real sandbox
def test_judge_prints_one_json_object(env: dict[str, str]) -> None:
    bundle = PROJECT_ROOT / "challenges" / "sea-surface-temperature"
    scored = marea(
        env, "judge", str(bundle), str(bundle / "baseline" / "predictions.csv"), "--json"
    )
    assert scored.returncode == 0, scored.stderr
    data = json.loads(scored.stdout)
    assert {"status", "failure", "message", "scores", "duration_s", "logs"} <= set(data)
    assert data["status"] == "scored" and data["failure"] is None
    assert set(data["scores"]) == {"public", "private"}
    assert set(data["scores"]["public"]) == {"rmse", "mae"}
    failed = marea(env, "judge", str(bundle), str(bundle / "data" / "train.csv"), "--json")
    assert failed.returncode == 0  # the pipeline worked; the submission did not
    failure = json.loads(failed.stdout)
    assert failure["status"] == "failed" and failure["failure"] == "invalid_output"
    assert "line" in failure["message"]


def test_judge_bad_arguments_exit_nonzero(env: dict[str, str], tmp_path: Path) -> None:
    bundle = PROJECT_ROOT / "challenges" / "sea-surface-temperature"
    missing = marea(env, "judge", str(bundle), str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    phase = marea(
        env, "judge", str(bundle), str(bundle / "baseline" / "predictions.csv"), "--phase", "x"
    )
    assert phase.returncode == 2 and "development" in phase.stderr


def test_user_create_admin(env: dict[str, str]) -> None:
    result = marea(env, "user", "create", "admin@example.org", "--name", "Admin", "--admin",
                   "--password", "a-long-password")  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Session(make_engine(env["MAREA_DATABASE_URL"])) as session:
        user = session.exec(select(User)).one()
    assert user.role == "admin" and user.password_hash and user.password_hash.startswith("$argon2")
    again = marea(env, "user", "create", "admin@example.org", "--name", "Admin", "--admin",
                  "--password", "a-long-password")  # fmt: skip
    assert again.returncode == 1 and "already exists" in again.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`marea challenge catalog` then `marea serve` on a brand-new SQLite file just works."""
    loaded = marea(env, "challenge", "catalog", "--publish")
    assert loaded.returncode == 0, loaded.stderr
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([MAREA, "serve", "--port", str(port)], env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"marea serve did not answer:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.docker  # its /healthz must find the Docker engine
def test_serve_lists_the_bundled_challenges(served: str) -> None:
    home = httpx.get(f"{served}/?lang=en", timeout=30, follow_redirects=True)
    assert home.status_code == 200
    assert str(home.url).startswith(f"{served}/events/hackathon-del-mare")  # the only event
    for bundle in CHALLENGES:
        assert f"/challenges/{bundle.name}" in home.text
    page = httpx.get(f"{served}/challenges/sea-surface-temperature?lang=it", timeout=30)
    assert page.status_code == 200 and "Temperatura" in page.text
    assert "Sfida dimostrativa e di allenamento." in page.text  # the catalog is demo content
    english = httpx.get(f"{served}/challenges/port-berth-scheduling?lang=en", timeout=30)
    assert "Demo and practice challenge." in english.text
    health = httpx.get(f"{served}/healthz", timeout=30).json()
    assert health["checks"]["database"]["ok"] and health["checks"]["redis"]["ok"]
    assert health["checks"]["docker"]["ok"], health["checks"]["docker"]["message"]
