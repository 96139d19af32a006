"""Judging latency and throughput through the real queue (issue 3 b and c, re-measured in 12).

(b) latency: from the moment a trivial predictions submission is handed to the
    queue to the moment its `scored` event arrives on Redis pub/sub, one at a
    time; target median <= 1 s on a 2-core machine.
(c) throughput: N trivial submissions queued at once, judged by a worker with
    1 and then 2 sandbox slots; target >= 100 scored per minute with 2.
--trace N: N more submissions, one at a time, judged by bench/trace_worker.py (the
    same worker with a stopwatch on each step), and a table of where the time goes.

Run:  .venv/bin/python bench/queue_bench.py [--latency-runs 20] [--submissions 100] [--trace 10]
          [--redis-url ...] [--database-url ...] [--data-dir ...]   (see bench/README.md)
Needs the Docker engine and the runner image (make setup). By default it makes its own
data directory, SQLite database and redis-server, and removes them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board_data import bench_bundle
from harness import MAREA, Place, add_site_options, command_line, commit, load_average, machine
from harness import place as bench_place

from app.bundles.load import LoadOutcome, load_into_db
from app.core.runtime import Runtime, open_runtime
from app.core.settings import Settings
from app.models import Challenge, Membership, Phase, Submission, Team, User
from app.queue.connection import judge_queue
from app.queue.dispatch import dispatch
from app.submissions.models import Status
from app.submissions.service import create_submission

BASELINE_NAME = "predictions.csv"
TRACE_WORKER = Path(__file__).resolve().parent / "trace_worker.py"
DEPTH = 8


@dataclass
class Bench:
    runtime: Runtime
    phase: Phase
    predictions: Path
    where: Place


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


def submit(bench: Bench, team: Team) -> int:
    stored = bench.runtime.store.put_file(bench.predictions)
    with Session(bench.runtime.engine, expire_on_commit=False) as session:
        fresh = session.get(Team, team.id)
        assert fresh is not None
        result = create_submission(
            session, phase=bench.phase, team=fresh, user_id=fresh.captain_id, stored=stored,
            filename=BASELINE_NAME,
        )  # fmt: skip
        assert isinstance(result, Submission), result
        session.commit()
        assert result.id is not None
        return result.id


def start_worker(
    bench: Bench,
    processes: int,
    log: Path,
    *,
    trace: Path | None = None,
    configure_mappers: bool = False,
) -> subprocess.Popen[bytes]:
    env = bench.where.env()
    env["MAREA_DISPATCH_DEPTH"] = str(DEPTH)
    argv = [MAREA, "worker", "--processes", str(processes)]
    if trace is not None:
        env["BENCH_TRACE_FILE"] = str(trace)
        if configure_mappers:
            env["BENCH_CONFIGURE_MAPPERS"] = "1"
        argv = [sys.executable, str(TRACE_WORKER), str(processes)]
    proc = subprocess.Popen(
        argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    client = redis.Redis.from_url(bench.where.redis_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # ready when the host has published its health
        raw = [client.get(k) for k in client.scan_iter("marea:workers:*")]
        if any(r and json.loads(r)["processes"] == processes for r in raw):
            time.sleep(1.0)  # let the RQ workers register and block on the queue
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"worker did not start; see {log}")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


def one_at_a_time(bench: Bench, teams: list[Team]) -> list[tuple[int, float, float, float]]:
    """Each submission dispatched alone; (id, dispatch start, dispatch end, event) wall times."""
    client = redis.Redis.from_url(bench.where.redis_url)
    pubsub = client.pubsub()
    pubsub.psubscribe("marea:events:submission:*")
    queue = judge_queue(bench.runtime.settings, client)
    samples: list[tuple[int, float, float, float]] = []
    for team in teams:
        sid = submit(bench, team)
        d0 = time.time()
        dispatch(bench.runtime.engine, queue, depth=DEPTH, team_cap=2)
        d1 = time.time()
        while True:
            message = pubsub.get_message(timeout=30)
            if message is None:
                raise SystemExit(f"no event for submission {sid} within 30 s")
            if message["type"] != "pmessage":
                continue
            event = json.loads(message["data"])
            if event["submission_id"] == sid and event["status"] in ("scored", "failed"):
                samples.append((sid, d0, d1, time.time()))
                assert event["status"] == "scored", event
                break
        time.sleep(0.3)  # the job's own tail (dispatch, RQ bookkeeping) ends before the next
    pubsub.close()
    return samples


def throughput(bench: Bench, teams: list[Team]) -> float:
    ids = [submit(bench, team) for team in teams]
    queue = judge_queue(bench.runtime.settings, redis.Redis.from_url(bench.where.redis_url))
    t0 = time.perf_counter()
    while True:
        dispatch(bench.runtime.engine, queue, depth=DEPTH, team_cap=2)
        with Session(bench.runtime.engine) as session:
            done = session.exec(
                select(Submission.id).where(
                    col(Submission.id).in_(ids), col(Submission.status) == Status.scored
                )
            ).all()
        if len(done) == len(ids):
            return len(ids) / ((time.perf_counter() - t0) / 60)
        time.sleep(0.05)


def _contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    return (
        outer is not inner
        and outer["pid"] == inner["pid"]
        and outer["t0"] <= inner["t0"]
        and inner["t1"] <= outer["t1"]
        and (outer["t1"] - outer["t0"]) > (inner["t1"] - inner["t0"])
    )


def _steps_of(
    records: list[dict[str, Any]], sid: int, d0: float, d1: float, event: float
) -> list[dict[str, Any]]:
    """The traced steps of one submission's judging, plus the bench's own two moments."""
    job = next(
        (r for r in records if r["name"] == "job: judge_submission" and r["arg"] == sid), None
    )
    if job is None:
        return []
    horse = job["pid"]
    mine = [
        r
        for r in records
        if d0 - 0.001 <= r["t0"] <= job["t1"] + 5.0
        and (r["pid"] == horse or r["name"].startswith("rq:"))
        and (r["name"] != "rq: wait for a job (BLPOP)" or r["t1"] <= job["t0"])
    ]
    mine.append({"name": "bench: dispatch (mark dispatched, enqueue)", "pid": 0, "t0": d0,
                 "t1": d1})  # fmt: skip
    mine.append({"name": "bench: scored event arrives", "pid": 0, "t0": event, "t1": event})
    steps: list[dict[str, Any]] = []
    seen: dict[str, int] = defaultdict(int)
    for r in sorted(mine, key=lambda r: r["t0"]):
        name = r["name"]
        seen[name] += 1
        if name == "job: publish a status event":
            name += " (running)" if seen[name] == 1 else " (scored)"
        elif name.startswith("db: "):
            name += f" #{seen[name]}"  # steps that recur: numbered in the order they run
        elif seen[name] > 1:
            continue  # one of each other step per job (the first)
        steps.append({**r, "name": name})
    for r in steps:
        parents = [o for o in steps if _contains(o, r)]
        r["depth"] = len(parents)
    for r in steps:
        children = [o for o in steps if _contains(r, o) and o["depth"] == r["depth"] + 1]
        r["untimed"] = (r["t1"] - r["t0"]) - sum(o["t1"] - o["t0"] for o in children)
        r["parent"] = bool(children)
    return steps


def breakdown(trace: Path, samples: list[tuple[int, float, float, float]]) -> str:
    """Median duration of each traced step over the submissions, in the order they start."""
    records = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    takes: dict[str, list[float]] = defaultdict(list)
    starts: dict[str, list[float]] = defaultdict(list)
    untimed: dict[str, list[float]] = defaultdict(list)
    depth_of: dict[str, int] = {}
    latencies = []
    for sid, d0, d1, event in samples:
        latencies.append(event - d0)
        for r in _steps_of(records, sid, d0, d1, event):
            name = r["name"]
            takes[name].append((r["t1"] - r["t0"]) * 1000)
            starts[name].append((r["t0"] - d0) * 1000)
            if r["parent"]:
                untimed[name].append(r["untimed"] * 1000)
            depth_of[name] = r["depth"]
    lines = [
        f"one trivial submission, median of {len(samples)} runs one at a time; times in ms; "
        "'starts at' counts from the dispatch call; enqueue-to-event median "
        f"{1000 * statistics.median(latencies):.0f} ms",
        "",
        "| step | starts at | takes | of which in no listed sub-step |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in sorted(takes, key=lambda n: statistics.median(starts[n])):
        if name == "rq: wait for a job (BLPOP)":
            continue  # idle until the job arrives: its end is where the next step starts
        indent = "&nbsp;&nbsp;" * depth_of.get(name, 0)
        rest = f"{statistics.median(untimed[name]):.1f}" if untimed.get(name) else ""
        lines.append(
            f"| {indent}{name} | {statistics.median(starts[name]):.1f} | "
            f"{statistics.median(takes[name]):.1f} | {rest} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=100, help="0 skips throughput.")
    parser.add_argument("--trace", type=int, default=0, help="Traced runs for the breakdown.")
    parser.add_argument(
        "--trace-configure-mappers",
        action="store_true",
        help="Experiment: the traced worker configures the ORM's mappers before it forks.",
    )
    add_site_options(parser)
    args = parser.parse_args()
    print(f"machine: {machine()}; commit {commit()}")
    print(f"command: {command_line('queue_bench.py')}")
    with bench_place(args) as where:
        settings = Settings(data_dir=where.data_dir, database_url=where.database.url,
                            redis_url=where.redis_url, dispatch_depth=DEPTH)  # fmt: skip
        runtime = open_runtime(settings)
        bundle = bench_bundle(where.data_dir)
        outcome = load_into_db(runtime, bundle, publish=True)
        assert isinstance(outcome, LoadOutcome), outcome
        with Session(runtime.engine, expire_on_commit=False) as session:
            challenge = session.exec(select(Challenge).where(Challenge.slug == outcome.slug)).one()
            phase = session.exec(
                select(Phase).where(Phase.challenge_id == challenge.id, Phase.name == "development")
            ).one()
        bench = Bench(runtime, phase, bundle / "baseline" / BASELINE_NAME, where)
        n = args.submissions
        teams = make_teams(runtime, challenge, args.latency_runs + 2 * n + args.trace, 0)
        log = where.data_dir / "worker.log"
        figures: list[str] = []

        if args.latency_runs or n:
            loads = [f"at start {load_average()}"]
            worker = start_worker(bench, 1, log)
            samples = [e - d0 for _, d0, _, e in one_at_a_time(bench, teams[: args.latency_runs])]
            loads.append(f"after (b) {load_average()}")
            one = two = 0.0
            if n:
                one = throughput(bench, teams[args.latency_runs : args.latency_runs + n])
                loads.append(f"after (c) 1 slot {load_average()}")
            stop_worker(worker)
            if n:
                worker = start_worker(bench, 2, log)
                two = throughput(bench, teams[args.latency_runs + n : args.latency_runs + 2 * n])
                loads.append(f"after (c) 2 slots {load_average()}")
                stop_worker(worker)
            if samples:
                samples.sort()
                figures.append(
                    f"(b) enqueue -> scored event, {len(samples)} runs one at a time: median "
                    f"{statistics.median(samples):.3f} s, p90 "
                    f"{samples[int(0.9 * (len(samples) - 1))]:.3f} s, min {samples[0]:.3f} s, "
                    f"max {samples[-1]:.3f} s   (target: median <= 1 s)"
                )
            if n:
                figures.append(
                    f"(c) throughput, {n} submissions queued at once: 1 slot {one:.0f}/min, "
                    f"2 slots {two:.0f}/min   (target: >= 100/min with 2)"
                )
            figures.append("load average (1, 5, 15 min): " + "; ".join(loads))
        if args.trace:
            trace = where.data_dir / "trace.jsonl"
            before = load_average()
            worker = start_worker(
                bench, 1, log, trace=trace, configure_mappers=args.trace_configure_mappers
            )
            traced = one_at_a_time(bench, teams[len(teams) - args.trace :])
            stop_worker(worker)
            figures.append(breakdown(trace, traced))
            figures.append(f"load average before and after the traced runs: {before} | "
                           f"{load_average()}")  # fmt: skip
        runtime.engine.dispose()
    print("\n".join(figures))


if __name__ == "__main__":
    main()
