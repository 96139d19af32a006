"""The queue with real workers, Redis, Docker and a database: nothing is lost, nothing stuck."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import zipfile
from pathlib import Path

import docker
import redis
from sqlmodel import Session, col, select

from app.core.hosts import read_worker_health
from app.models import LeaderboardEntry, Score, SubmissionEvent
from app.submissions.models import Status
from tests.app.queue.conftest import SLOW_PROGRAM, VALID_BUNDLE, Stack, make_bundle

BASELINE = VALID_BUNDLE / "baseline" / "predictions.csv"


def _program_zip(tmp_path: Path, sleep: float) -> Path:
    archive = tmp_path / f"program-{sleep}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.py", SLOW_PROGRAM.format(sleep=sleep))
    return archive


class EventLog:
    """Every event published for the test's submissions, read from real Redis pub/sub."""

    def __init__(self, client: redis.Redis) -> None:
        self.pubsub = client.pubsub()
        self.pubsub.psubscribe("marea:events:submission:*")
        self.events: list[dict[str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while not self._stop.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] == "pmessage":
                self.events.append(json.loads(message["data"]))

    def statuses(self, submission_id: int) -> list[object]:
        return [e["status"] for e in self.events if e["submission_id"] == submission_id]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.pubsub.close()


def test_a_predictions_submission_is_scored_and_reaches_the_board(
    stack: Stack, tmp_path: Path
) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    team = stack.team(challenge, "Delfini")
    events = EventLog(stack.redis)
    stack.start_worker()
    submission_id = stack.submit(challenge, team, BASELINE)
    assert stack.dispatch() == [submission_id]
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.scored,
        60,
        "the baseline to be scored",
    )
    with Session(stack.runtime.engine) as session:
        scores = {(s.split, s.key): s.value for s in session.exec(select(Score))}
        entries = session.exec(select(LeaderboardEntry)).all()
    assert {key for _, key in scores} == {"rmse", "mae", "q90"}
    assert {split for split, _ in scores} == {"public", "private"}
    assert {e.split for e in entries} == {"public", "private"}
    assert all(e.submission_id == submission_id for e in entries)
    assert entries[0].values["rmse"] == scores[(entries[0].split, "rmse")]
    row = stack.submission(submission_id)
    assert row.provenance["submission_sha256"] == row.file_sha256
    assert row.attempts == 1
    stack.wait_for(lambda: "scored" in events.statuses(submission_id), 5, "the scored event")
    assert events.statuses(submission_id)[0] == "running"
    scored_event = next(e for e in events.events if e["status"] == "scored")
    # The team's first score moves both of its kept boards; the event names each one.
    assert scored_event["boards"] == ["private", "public"]
    # ...and carries the team's new entry, so web processes move one row instead of rebuilding.
    public = scored_event["entries"]["public"]
    assert public["submission_id"] == submission_id
    assert public["values"]["rmse"] == (scores[("public", "rmse")])
    events.close()


def test_a_worker_killed_mid_run_is_recovered_and_leaves_no_container(
    stack: Stack, tmp_path: Path
) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle", kind="code", time_limit_s=8))
    team = stack.team(challenge, "Balene")
    first = stack.start_worker()
    submission_id = stack.submit(challenge, team, _program_zip(tmp_path, sleep=4))
    stack.dispatch()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.running, 30, "the run to start"
    )
    time.sleep(1.5)  # inside the sandbox now
    stack.kill_worker(first, signal.SIGKILL)
    assert stack.submission(submission_id).status == Status.running  # the dead worker's claim
    stack.start_worker()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.scored,
        60,
        "the recovered submission to be scored",
    )
    row = stack.submission(submission_id)
    assert row.attempts == 2
    with Session(stack.runtime.engine) as session:
        history = session.exec(
            select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == submission_id)
            .order_by(col(SubmissionEvent.id))
        ).all()
    assert [e.status for e in history] == ["queued", "running", "queued", "running", "scored"]
    assert "stopped answering" in history[2].detail
    client = docker.from_env()
    label = f"marea.submission={submission_id}"
    stack.wait_for(
        lambda: client.containers.list(all=True, filters={"label": label}) == [],
        45,
        "the killed run's container to be removed",
        poll=1.0,
    )


def test_a_redis_flush_loses_nothing(stack: Stack, tmp_path: Path) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    teams = [stack.team(challenge, name) for name in ("Orche", "Foche")]
    ids = [stack.submit(challenge, team, BASELINE) for team in teams for _ in range(2)]
    assert sorted(stack.dispatch()) == sorted(ids)
    stack.redis.flushdb()  # every job gone, as after a Redis restart without persistence
    stack.start_worker(processes=2)
    stack.wait_for(
        lambda: all(stack.submission(i).status == Status.scored for i in ids),
        90,
        "every submission to be scored after the flush",
    )
    assert all(stack.submission(i).attempts == 1 for i in ids)


def test_without_a_docker_engine_nothing_runs_and_the_host_says_so(
    stack: Stack, tmp_path: Path
) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    team = stack.team(challenge, "Tonni")
    submission_id = stack.submit(challenge, team, BASELINE)
    broken = stack.start_worker(DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    stack.wait_for(lambda: bool(read_worker_health(stack.redis)), 20, "the worker to report")
    health = read_worker_health(stack.redis)
    assert health[0]["healthy"] is False and health[0]["processes"] == 0
    time.sleep(2)
    assert stack.submission(submission_id).status == Status.queued  # waits; never run unsandboxed
    stack.kill_worker(broken, signal.SIGTERM)
    stack.start_worker()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.scored,
        60,
        "the waiting submission to be scored once an engine is there",
    )


def test_a_worker_that_cannot_reach_its_bucket_takes_no_job_and_says_so(
    stack: Stack, tmp_path: Path
) -> None:
    """Like a lost Docker engine: a worker whose S3 server is away judges nothing (a job would
    fail for the host's sake), reports why, and the submission waits for a host that can."""
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    team = stack.team(challenge, "Cernie")
    submission_id = stack.submit(challenge, team, BASELINE)
    with socket.socket() as closed:  # bound, never listening: every connection is refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        cut_off = stack.start_worker(
            MAREA_STORE_URL="s3://marea-away/site",
            MAREA_S3_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            MAREA_S3_ACCESS_KEY_ID="k",
            MAREA_S3_SECRET_ACCESS_KEY="s",
        )
        stack.wait_for(lambda: bool(read_worker_health(stack.redis)), 30, "the worker to report")
        health = read_worker_health(stack.redis)
        assert health[0]["healthy"] is False and health[0]["processes"] == 0
        assert "s3://marea-away" in health[0]["message"]
        time.sleep(2)
        assert stack.submission(submission_id).status == Status.queued
        stack.kill_worker(cut_off, signal.SIGTERM)
    stack.start_worker()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.scored,
        60,
        "the waiting submission to be scored by a host that reaches the store",
    )
    assert stack.submission(submission_id).attempts == 1


def test_a_teams_own_failure_is_not_retried(stack: Stack, tmp_path: Path) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle", kind="code", time_limit_s=2))
    team = stack.team(challenge, "Squali")
    stack.start_worker()
    submission_id = stack.submit(challenge, team, _program_zip(tmp_path, sleep=30))
    stack.dispatch()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.failed, 60, "the timeout"
    )
    row = stack.submission(submission_id)
    assert row.failure == "timeout" and row.attempts == 1
    assert "2 s limit" in row.message
