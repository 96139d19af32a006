"""A real worker stack for the queue tests: a bundle, a database, Redis db 13, `marea worker`."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from ruamel.yaml import YAML
from sqlmodel import Session, select

from app.bundles.load import LoadOutcome, load_into_db
from app.core.db import utcnow
from app.core.runtime import Runtime, open_runtime
from app.core.settings import Settings
from app.models import Challenge, Phase, Submission, Team
from app.queue.connection import judge_queue
from app.queue.dispatch import dispatch
from app.submissions.service import create_submission
from tests.conftest import PROJECT_ROOT
from tests.factories import make_team, make_user
from tests.process_helpers import descendants
from tests.redis_urls import redis_url

VALID_BUNDLE = PROJECT_ROOT / "tests" / "bundles" / "fixtures" / "valid"
REDIS_DB = 13
MAREA = str(Path(sys.executable).with_name("marea"))

SLOW_PROGRAM = """\
import csv, os, sys, time
time.sleep({sleep})
rows = list(csv.DictReader(open(os.path.join(os.environ["MAREA_INPUT_DIR"], "test.csv"))))
with open(os.path.join(os.environ["MAREA_OUTPUT_DIR"], "predictions.csv"), "w") as out:
    out.write("id,wave_height\\n")
    for row in rows:
        out.write(f"{{row['id']}},1.0\\n")
print("done", len(rows))
"""


def make_bundle(dest: Path, kind: str = "predictions", time_limit_s: int = 60) -> Path:
    """The valid test bundle with one phase open now, of the given kind."""
    shutil.copytree(VALID_BUNDLE, dest)
    yaml = YAML()
    config = yaml.load((dest / "challenge.yaml").read_text())
    now = utcnow()
    phase = {
        "name": "development",
        "title": {"it": "Sviluppo", "en": "Development"},
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=30)).isoformat(),
        "kind": kind,
        "limits": {"per_day": 500, "total": 1000, "concurrent": 500},
    }
    if kind == "code":
        phase["code"] = {"command": ["python3", "main.py"], "time_limit_s": time_limit_s,
                         "memory_mb": 256, "cpus": 1.0}  # fmt: skip
        config["baseline"] = None
    config["phases"] = [phase]
    with (dest / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return dest


@dataclass
class Stack:
    runtime: Runtime
    env: dict[str, str]
    redis: redis.Redis
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_dir: Path = Path()

    def start_worker(
        self, processes: int = 1, pools: tuple[str, ...] = (), **extra_env: str
    ) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.workers)}.log").open("wb")
        pool_args = [arg for pool in pools for arg in ("--pool", pool)]
        proc = subprocess.Popen(
            [MAREA, "worker", "--processes", str(processes), *pool_args],
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a test can SIGKILL all of it
        )
        self.workers.append(proc)
        return proc

    def kill_worker(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal the supervisor and every descendant (RQ's work horses start their own groups)."""
        pids = [proc.pid, *descendants(proc.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        proc.wait(timeout=30)

    def load(self, bundle: Path) -> Challenge:
        outcome = load_into_db(self.runtime, bundle, publish=True)
        assert isinstance(outcome, LoadOutcome)
        with Session(self.runtime.engine) as session:
            challenge = session.exec(select(Challenge).where(Challenge.slug == outcome.slug)).one()
            return challenge

    def team(self, challenge: Challenge, name: str) -> Team:
        with Session(self.runtime.engine, expire_on_commit=False) as session:
            user = make_user(session, f"{name.lower()}@example.org", name)
            team = make_team(session, challenge, user, name)
            session.commit()
            return team

    def submit(self, challenge: Challenge, team: Team, payload: Path) -> int:
        stored = self.runtime.store.put_file(payload)
        with Session(self.runtime.engine, expire_on_commit=False) as session:
            phase = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).one()
            fresh_team = session.get(Team, team.id)
            assert fresh_team is not None
            result = create_submission(
                session, phase=phase, team=fresh_team, user_id=team.captain_id, stored=stored,
                filename=payload.name,
            )  # fmt: skip
            assert isinstance(result, Submission), result
            session.commit()
            assert result.id is not None
            return result.id

    def dispatch(self) -> list[int]:
        settings = self.runtime.settings
        return dispatch(
            self.runtime.engine, judge_queue(settings, self.redis),
            depth=settings.dispatch_depth, team_cap=settings.team_concurrency,
        )  # fmt: skip

    def submission(self, submission_id: int) -> Submission:
        with Session(self.runtime.engine) as session:
            row = session.get(Submission, submission_id)
            assert row is not None
            return row

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.1
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(poll)
        logs = "\n".join(p.read_text()[-3000:] for p in sorted(self.log_dir.glob("*.log")))
        pytest.fail(f"timed out after {timeout} s waiting for {what}\nworker logs:\n{logs}")


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    database_url = f"sqlite:///{tmp_path / 'marea.db'}"
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(tmp_path / "var"),
        "MAREA_DATABASE_URL": database_url,
        "MAREA_REDIS_URL": redis_url(REDIS_DB),
        "MAREA_HEARTBEAT_TIMEOUT_S": "4",
        "MAREA_SWEEP_INTERVAL_S": "0.5",
        "MAREA_DISPATCH_DEPTH": "4",
    }
    settings = Settings(
        data_dir=tmp_path / "var", database_url=database_url, redis_url=redis_url(REDIS_DB),
        heartbeat_timeout_s=4, sweep_interval_s=0.5,
    )  # fmt: skip
    client = redis.Redis.from_url(redis_url(REDIS_DB))
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_url(REDIS_DB)} (run `make services`): {exc}")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    stack = Stack(open_runtime(settings), env, client, log_dir=log_dir)
    yield stack
    for proc in stack.workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    client.flushdb()
