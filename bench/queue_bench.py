"""Judging latency and throughput through the real queue (issue 3, benchmarks b and c).

(b) latency: from the moment a trivial predictions submission is handed to the
    queue to the moment its `scored` event arrives on Redis pub/sub, one at a
    time; target median <= 1 s on a 2-core machine.
(c) throughput: N trivial submissions queued at once, judged by a worker with
    1 and then 2 sandbox slots; target >= 100 scored per minute with 2.

Run:  .venv/bin/python bench/queue_bench.py [--latency-runs 20] [--submissions 100]
Needs the Docker engine, the runner image and Redis (make setup).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.bundles.load import LoadOutcome, load_into_db  # noqa: E402
from app.models import Challenge, Membership, Phase, Submission, Team, User  # noqa: E402
from app.queue.connection import judge_queue  # noqa: E402
from app.queue.dispatch import dispatch  # noqa: E402
from app.runtime import Runtime, open_runtime  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.submissions.models import Status  # noqa: E402
from app.submissions.service import create_submission  # noqa: E402

BUNDLE = ROOT / "challenges" / "sea-surface-temperature"
BASELINE = BUNDLE / "baseline" / "predictions.csv"
REDIS_URL = "redis://127.0.0.1:6379/12"
MAREA = str(Path(sys.executable).with_name("marea"))


def make_teams(runtime: Runtime, challenge: Challenge, count: int, start: int) -> list[Team]:
    teams: list[Team] = []
    with Session(runtime.engine, expire_on_commit=False) as session:
        for i in range(start, start + count):
            user = User(email=f"bench{i}@example.org", name=f"Bench {i}")
            session.add(user)
            session.flush()
            assert user.id is not None and challenge.id is not None
            team = Team(challenge_id=challenge.id, name=f"Team {i}", captain_id=user.id,
                        invite_code=f"bench-{i}")  # fmt: skip
            session.add(team)
            session.flush()
            assert team.id is not None
            session.add(Membership(team_id=team.id, user_id=user.id, challenge_id=challenge.id))
            teams.append(team)
        session.commit()
    return teams


def submit(runtime: Runtime, phase: Phase, team: Team) -> int:
    stored = runtime.store.put_file(BASELINE)
    with Session(runtime.engine, expire_on_commit=False) as session:
        fresh = session.get(Team, team.id)
        assert fresh is not None
        result = create_submission(
            session, phase=phase, team=fresh, user_id=fresh.captain_id, stored=stored,
            filename="predictions.csv",
        )  # fmt: skip
        assert isinstance(result, Submission), result
        session.commit()
        assert result.id is not None
        return result.id


def start_worker(env: dict[str, str], processes: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [MAREA, "worker", "--processes", str(processes)],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # ready when the host has published its health
        raw = [client.get(k) for k in client.scan_iter("marea:workers:*")]
        if any(r and json.loads(r)["processes"] == processes for r in raw):
            time.sleep(1.0)  # let the RQ workers register and block on the queue
            return proc
        time.sleep(0.2)
    raise SystemExit(f"worker did not start; see {log}")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


def latency(runtime: Runtime, phase: Phase, teams: list[Team], runs: int) -> list[float]:
    client = redis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    pubsub.psubscribe("marea:events:submission:*")
    queue = judge_queue(runtime.settings, client)
    samples: list[float] = []
    for team in teams[:runs]:
        sid = submit(runtime, phase, team)
        t0 = time.perf_counter()
        dispatch(runtime.engine, queue, depth=8, team_cap=2)
        while True:
            message = pubsub.get_message(timeout=30)
            if message is None:
                raise SystemExit(f"no event for submission {sid} within 30 s")
            if message["type"] != "pmessage":
                continue
            event = json.loads(message["data"])
            if event["submission_id"] == sid and event["status"] in ("scored", "failed"):
                samples.append(time.perf_counter() - t0)
                assert event["status"] == "scored", event
                break
    pubsub.close()
    return samples


def throughput(runtime: Runtime, phase: Phase, teams: list[Team]) -> float:
    ids = [submit(runtime, phase, team) for team in teams]
    queue = judge_queue(runtime.settings)
    t0 = time.perf_counter()
    while True:
        dispatch(runtime.engine, queue, depth=8, team_cap=2)
        with Session(runtime.engine) as session:
            done = session.exec(
                select(Submission.id).where(
                    col(Submission.id).in_(ids), col(Submission.status) == Status.scored
                )
            ).all()
        if len(done) == len(ids):
            return len(ids) / ((time.perf_counter() - t0) / 60)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=100)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="marea-bench-"))
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {**os.environ, "MAREA_DATA_DIR": str(tmp / "var"), "MAREA_REDIS_URL": REDIS_URL,
           "MAREA_DISPATCH_DEPTH": "8"}  # fmt: skip
    settings = Settings(data_dir=tmp / "var", redis_url=REDIS_URL, dispatch_depth=8)
    runtime = open_runtime(settings)
    outcome = load_into_db(runtime, BUNDLE, publish=True)
    assert isinstance(outcome, LoadOutcome)
    with Session(runtime.engine, expire_on_commit=False) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == outcome.slug)).one()
        phase = session.exec(
            select(Phase).where(Phase.challenge_id == challenge.id, Phase.name == "development")
        ).one()
    n = args.submissions
    teams = make_teams(runtime, challenge, args.latency_runs + 2 * n, 0)
    log = tmp / "worker.log"

    worker = start_worker(env, 1, log)
    samples = latency(runtime, phase, teams, args.latency_runs)
    one = throughput(runtime, phase, teams[args.latency_runs : args.latency_runs + n])
    stop_worker(worker)
    worker = start_worker(env, 2, log)
    two = throughput(runtime, phase, teams[args.latency_runs + n :])
    stop_worker(worker)

    samples.sort()
    print(f"machine: {os.cpu_count()} cores; data dir {tmp}")
    print(f"(b) enqueue -> scored event, {len(samples)} runs one at a time: "
          f"median {statistics.median(samples):.3f} s, p90 {samples[int(0.9 * (len(samples) - 1))]:.3f} s, "
          f"min {samples[0]:.3f} s, max {samples[-1]:.3f} s   (target: median <= 1 s)")  # fmt: skip
    print(f"(c) throughput, {n} submissions queued at once: 1 slot {one:.0f}/min, "
          f"2 slots {two:.0f}/min   (target: >= 100/min with 2)")  # fmt: skip


if __name__ == "__main__":
    main()
