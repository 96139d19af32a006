"""How soon does a landed score show on a big board, and what does a change cost the server?

Issue 12's target: at 10,000 teams and 1,000,000 submissions on PostgreSQL, a new score is
visible within 50 ms at p50, idle and under load, and a change costs the web process about
a sort of the changed row, not a rebuild of the board.

Each change is what a worker does when a submission is judged: a scored submission row, its
score rows and the team's kept entry written in one transaction by the worker's own code
(`app.queue.results._record_scores`), then the event published (`app.live.notify`). The time
counted runs from just before the transaction to the first answer of the web process's JSON
board that carries the new row (polled with `?around=TEAM`, which is cut from the same cached
board as the full one). The web process's CPU per change is its CPU over the idle changes,
less what the polling requests cost, divided by the changes. For comparison the script also
times one full rebuild of the board from the database, the way a change was absorbed before.

Usage:
  .venv/bin/python bench/board_change.py --teams 10000 --submissions 1000000 \\
      --database-url postgresql+psycopg://127.0.0.1:5432/marea_bench_big --keep-database
      [--changes 40] [--load-connections 32]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board_data import build, describe
from harness import (
    SLUG,
    add_site_options,
    command_line,
    commit,
    cpu_seconds,
    have_wrk,
    load_average,
    machine,
    place,
    serve,
)

BOARD = f"/api/v1/challenges/{SLUG}/leaderboard"
TARGET_P50_MS = 50.0


def land(engine: object, client: object, made: object, team_id: int) -> int:
    """One judged submission of `team_id`, better than its best so far, recorded and announced
    as a worker would; returns the submission id."""
    from sqlmodel import Session, select

    import app.models  # noqa: F401  (every table, for the foreign keys)
    from app.leaderboard.models import LeaderboardEntry
    from app.live.notify import notify_status
    from app.queue.results import _record_scores
    from app.submissions.models import Status, Submission
    from app.teams.models import Team

    with Session(engine) as session:  # type: ignore[arg-type]
        team = session.get(Team, team_id)
        assert team is not None
        kept = session.exec(
            select(LeaderboardEntry.values).where(
                LeaderboardEntry.team_id == team_id, LeaderboardEntry.split == "public"
            )
        ).first()
        rmse = float(kept["rmse"]) * 0.99 if kept else 1.0  # a new best for the team
        submission = Submission(
            challenge_id=made.challenge_id,  # type: ignore[attr-defined]
            phase_id=made.phase_id,  # type: ignore[attr-defined]
            team_id=team_id,
            user_id=team.captain_id,
            kind="predictions",
            file_sha256="b" * 64,
            filename="predictions.csv",
            size=1,
            status=Status.scored,
            created_at=datetime.now(UTC),
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None
        scores = {"public": {"rmse": rmse}, "private": {"rmse": rmse}}
        changed = _record_scores(session, submission.id, scores)
        session.commit()
        submission_id = submission.id
    notify_status(engine, client, submission_id, boards=changed)  # type: ignore[arg-type]
    return submission_id


def visible_after(
    reader: httpx.Client, base_url: str, team_id: int, submission_id: int, started: float
) -> float:
    """Milliseconds from `started` until the board shows the submission on the team's row.

    One client kept open for every poll: making one costs tens of milliseconds by itself."""
    url = f"{base_url}{BOARD}?around={team_id}"
    while True:
        rows = reader.get(url).json()["rows"]
        if any(r["team"]["id"] == team_id and r["submission_id"] == submission_id for r in rows):
            return (time.perf_counter() - started) * 1000
        if time.perf_counter() - started > 30:
            raise SystemExit(f"submission {submission_id} not on the board after 30 s")
        time.sleep(0.002)


WRITES: list[float] = []  # how long the worker's transaction and publish took, per change


def changes(base_url: str, engine: object, client: object, made: object, count: int) -> list[float]:
    rng = random.Random()
    waits = []
    reader = httpx.Client(timeout=30)
    reader.get(f"{base_url}{BOARD}?limit=1")  # the connection is open before the clock starts
    for _ in range(count):
        team = made.first_team_id + rng.randrange(made.teams)  # type: ignore[attr-defined]
        started = time.perf_counter()
        submission_id = land(engine, client, made, team)
        WRITES.append((time.perf_counter() - started) * 1000)
        waits.append(visible_after(reader, base_url, team, submission_id, started))
        time.sleep(0.05)
    reader.close()
    return waits


def describe_waits(waits: list[float]) -> str:
    ordered = sorted(waits)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return (
        f"p50 {statistics.median(ordered):.1f} ms, p90 {p90:.1f} ms, max {ordered[-1]:.1f} ms "
        f"over {len(ordered)} changes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--load-connections", type=int, default=32)
    add_site_options(parser)
    args = parser.parse_args()

    import redis
    from sqlmodel import Session

    import app.models  # noqa: F401
    from app.api.challenges import build_board
    from app.core.db import make_engine
    from app.leaderboard.boards import LIVE

    print(f"machine: {machine()}; load average {load_average()}; commit {commit()}")
    print(f"command: {command_line('board_change.py')}")
    with place(args) as where:
        made = build(where, args.teams, args.submissions)
        print(describe(made, where.database.url))
        engine = make_engine(where.database.url)
        client = redis.Redis.from_url(where.redis_url)
        started = time.perf_counter()
        with Session(engine) as session:
            board = build_board(session, made.challenge_id, made.phase_id, "public", LIVE)
            full = board.body()
        rebuild_ms = (time.perf_counter() - started) * 1000
        print(f"one full rebuild from the database: {rebuild_ms:.0f} ms "
              f"({board.total} rows, {len(full) / 1024:.0f} KiB)")  # fmt: skip
        with serve(where) as server:
            httpx.get(server.base_url + BOARD, timeout=120).raise_for_status()  # cached now
            before = cpu_seconds(server.pid)
            idle = changes(server.base_url, engine, client, made, args.changes)
            spent = cpu_seconds(server.pid) - before
            print(f"idle: a new score on the board after {describe_waits(idle)}")
            print(f"  of which the worker's transaction and publish: {describe_waits(WRITES)}")
            WRITES.clear()
            print(f"web process CPU over the idle changes (polling included): {spent:.2f} s, "
                  f"{spent / len(idle) * 1000:.1f} ms per change")  # fmt: skip
            if have_wrk():
                stop = threading.Event()
                wrk = subprocess.Popen(
                    ["wrk", "-t1", f"-c{args.load_connections}", "-d120s",
                     "-H", "Accept-Encoding: identity", f"{server.base_url}{BOARD}?limit=10"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                try:
                    time.sleep(2)
                    loaded = changes(server.base_url, engine, client, made, args.changes)
                finally:
                    stop.set()
                    wrk.terminate()
                    wrk.wait()
                print(
                    f"under load ({args.load_connections} connections on the first page): "
                    f"a new score on the board after {describe_waits(loaded)}"
                )
            else:
                loaded = []
                print("under load: skipped (wrk is not installed: bash scripts/ensure-wrk.sh)")
        engine.dispose()
    p50 = statistics.median(idle + loaded)
    print(f"load average {load_average()}")
    print(f"verdict: p50 {p50:.1f} ms (target <= {TARGET_P50_MS:.0f} ms: "
          f"{'met' if p50 <= TARGET_P50_MS else 'MISSED'})")  # fmt: skip


if __name__ == "__main__":
    main()
