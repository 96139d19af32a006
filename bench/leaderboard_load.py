"""Can one web process serve the leaderboard of a big hackathon during the final minutes?

Everyone refreshes the board at the end, so the JSON leaderboard of a challenge
with 1,000 teams and 50,000 scored submissions is the hottest URL we have.
Targets (issue 4): at least 2,000 requests/s from ONE `marea serve` process,
p99 latency at most 25 ms, load sent on loopback from a second process.

Usage:
  .venv/bin/python bench/leaderboard_load.py [--teams 1000] [--submissions 50000]
      [--duration 20] [--connections 64] [--database-url postgresql+psycopg://...]
`wrk` (Debian package) is used when installed, otherwise an asyncio httpx client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "sea-surface-temperature"
MAREA = Path(sys.executable).parent / "marea"
REDIS_URL = "redis://127.0.0.1:6379/14"
TARGET_RPS = 2000.0
TARGET_P99_MS = 25.0


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    data_dir: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def marea_env(data_dir: Path, database_url: str, base_url: str = "") -> dict[str, str]:
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data_dir),
        "MAREA_REDIS_URL": REDIS_URL,
        "MAREA_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
    }
    env.pop("MAREA_DATABASE_URL", None)
    if database_url:
        env["MAREA_DATABASE_URL"] = database_url
    if base_url:
        env["MAREA_BASE_URL"] = base_url
    return env


def load_challenge(data_dir: Path, database_url: str) -> None:
    subprocess.run(
        [str(MAREA), "challenge", "load", "--publish", str(ROOT / "challenges" / SLUG)],
        cwd=ROOT,
        env=marea_env(data_dir, database_url),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build_database(data_dir: Path, database_url: str, teams: int, submissions: int) -> int:
    """Fills the database the way a long hackathon would; returns the development phase's id.

    Rows go in with bulk INSERTs through the models' own tables, so the schema
    (indexes, JSON columns, time columns) is exactly the one the site reads.
    """
    from sqlmodel import SQLModel

    import app.models  # noqa: F401  (registers every table in the metadata)
    from app.db import make_engine

    load_challenge(data_dir, database_url)
    url = database_url or f"sqlite:///{data_dir / 'marea.db'}"
    engine = make_engine(url)
    tables = SQLModel.metadata.tables
    rng = random.Random(4)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        challenge_id = conn.exec_driver_sql(
            "SELECT id FROM challenge WHERE slug = ?"
            if url.startswith("sqlite")
            else "SELECT id FROM challenge WHERE slug = %s",
            (SLUG,),
        ).scalar_one()
        phase_id = conn.exec_driver_sql(
            f"SELECT id FROM phase WHERE challenge_id = {int(challenge_id)} "
            "AND name = 'development'"
        ).scalar_one()
        conn.execute(
            tables["user"].insert(),
            [
                {
                    "id": 100_000 + i,
                    "email": f"bench-{i}@example.org",
                    "name": f"Bench person {i}",
                    "role": "participant",
                    "email_verified": True,
                    "is_active": True,
                    "created_at": now,
                }
                for i in range(teams)
            ],
        )
        conn.execute(
            tables["team"].insert(),
            [
                {
                    "id": 100_000 + i,
                    "challenge_id": challenge_id,
                    "name": f"Squadra {i:04d} del Golfo",
                    "captain_id": 100_000 + i,
                    "invite_code": f"bench{i:08d}",
                    "approved": True,
                    "created_at": now,
                }
                for i in range(teams)
            ],
        )
        conn.execute(
            tables["membership"].insert(),
            [
                {
                    "team_id": 100_000 + i,
                    "user_id": 100_000 + i,
                    "challenge_id": challenge_id,
                    "joined_at": now,
                }
                for i in range(teams)
            ],
        )
        subs: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        best: dict[tuple[int, str], tuple[float, dict[str, float], int, datetime]] = {}
        for n in range(submissions):
            sid = 1_000_000 + n
            team = 100_000 + n % teams
            created = now - timedelta(seconds=submissions - n)
            subs.append(
                {
                    "id": sid,
                    "challenge_id": challenge_id,
                    "phase_id": phase_id,
                    "team_id": team,
                    "user_id": team,
                    "kind": "predictions",
                    "file_sha256": f"{sid:064x}",
                    "filename": "predictions.csv",
                    "size": 2048,
                    "description": "",
                    "status": "scored",
                    "message": "",
                    "attempts": 1,
                    "provenance": {},
                    "selected_final": False,
                    "created_at": created,
                    "finished_at": created,
                    "duration_s": 1.5,
                }
            )
            for split in ("public", "private"):
                values = {"rmse": rng.uniform(0.3, 3.0), "mae": rng.uniform(0.2, 2.5)}
                for key, value in values.items():
                    scores.append(
                        {
                            "submission_id": sid,
                            "version": 1,
                            "current": True,
                            "split": split,
                            "key": key,
                            "value": value,
                            "created_at": created,
                        }
                    )
                rank = -values["rmse"]  # lower is better: the board sorts by the signed value
                held = best.get((team, split))
                if held is None or rank > held[0]:
                    best[(team, split)] = (rank, values, sid, created)
        conn.execute(tables["submission"].insert(), subs)
        conn.execute(tables["score"].insert(), scores)
        conn.execute(
            tables["leaderboardentry"].insert(),
            [
                {
                    "phase_id": phase_id,
                    "team_id": team,
                    "split": split,
                    "submission_id": sid,
                    "rank_value": rank,
                    "values": values,
                    "submitted_at": created,
                    "updated_at": created,
                }
                for (team, split), (rank, values, sid, created) in best.items()
            ],
        )
    engine.dispose()
    return int(phase_id)


@contextmanager
def serve(data_dir: Path, database_url: str) -> Iterator[Server]:
    """One `marea serve` process (one uvicorn worker), stopped with SIGTERM then SIGKILL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(MAREA), "serve", "--port", str(port)],
        cwd=ROOT,
        env=marea_env(data_dir, database_url, base_url),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"marea serve exited; see {data_dir / 'serve.log'}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"marea serve not healthy in 60 s; see {data_dir / 'serve.log'}")
            time.sleep(0.3)
        yield Server(base_url, process.pid, data_dir)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class LoadResult:
    tool: str
    command: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


def _wrk_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str, connections: int, duration: int, threads: int, *, quiet: bool = False
) -> LoadResult:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        "Accept-Encoding: identity",
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    if not quiet:
        print(out)
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    error_count = int(errors.group(1)) if errors else 0
    if socket_errors:
        error_count += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return LoadResult(
        "wrk",
        " ".join(argv),
        int(total.group(1)) if total else 0,
        error_count,
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        _wrk_ms(latencies["50"]),
        _wrk_ms(latencies["99"]),
    )


async def _httpx_load(url: str, connections: int, duration: int) -> tuple[list[float], int]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + duration
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                start = time.perf_counter()
                answer = await client.get(url)
                latencies.append((time.perf_counter() - start) * 1000)
                if answer.status_code != 200:
                    errors += 1

        await asyncio.gather(*(one() for _ in range(connections)))
    return latencies, errors


def run_httpx(url: str, connections: int, duration: int) -> LoadResult:
    """Fallback load generator; being Python, it saturates before a fast server does."""
    start = time.monotonic()
    latencies, errors = asyncio.run(_httpx_load(url, connections, duration))
    elapsed = time.monotonic() - start
    cuts = statistics.quantiles(latencies, n=100)
    return LoadResult(
        "httpx",
        f"asyncio httpx, {connections} connections, {duration} s",
        len(latencies),
        errors,
        len(latencies) / elapsed,
        cuts[49],
        cuts[98],
    )


def profile(pid: int, out: Path, duration: int) -> subprocess.Popen[bytes]:
    """py-spy (PyPI) samples the server while it is under load: where does a request go?"""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(max(duration - 2, 1)),
         "--format", "raw", "--rate", "200", "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def top_frames(collapsed: Path, count: int = 25) -> str:
    """Functions by inclusive share of samples, from py-spy's collapsed stacks."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        n = int(samples)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + n
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])[:count]
    lines = [f"py-spy: {total} samples; functions by inclusive share:"]
    lines += [f"  {100 * n / max(total, 1):5.1f}%  {frame}" for frame, n in ranked]
    return "\n".join(lines)


def warm(url: str, args: argparse.Namespace, use_wrk: bool) -> None:
    if use_wrk:
        run_wrk(url, args.connections, args.warmup, args.threads, quiet=True)
    else:
        run_httpx(url, args.connections, args.warmup)


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({model}), Python {sys.version.split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--duration", type=int, default=20, help="Seconds of load.")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (2 cores: keep 1).")
    parser.add_argument("--database-url", default="", help="Default: SQLite in a temp dir.")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--path", default=f"/api/v1/challenges/{SLUG}/leaderboard")
    parser.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="Seconds of unmeasured load first (0: measure from a cold board cache).",
    )
    parser.add_argument(
        "--profile", type=Path, help="Record the server with py-spy into this collapsed-stack file."
    )
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print("command:", " ".join([".venv/bin/python", "bench/leaderboard_load.py", *sys.argv[1:]]))
    with tempfile.TemporaryDirectory(prefix="marea-bench-") as tmp:
        data_dir = Path(tmp)
        started = time.monotonic()
        build_database(data_dir, args.database_url, args.teams, args.submissions)
        print(
            f"database: {args.database_url or 'SQLite'} with {args.teams} teams, "
            f"{args.submissions} submissions (built in {time.monotonic() - started:.1f} s)"
        )
        with serve(data_dir, args.database_url) as server:
            url = server.base_url + args.path
            first = httpx.get(url, timeout=30)
            first.raise_for_status()
            rows = len(first.json()["rows"])
            print(f"GET {args.path}: {rows} rows, {len(first.content) / 1024:.0f} KiB per response")
            if rows != args.teams:
                raise SystemExit(f"expected {args.teams} rows on the board, got {rows}")
            use_wrk = args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk"))
            if args.warmup:
                print(f"warm-up: {args.warmup} s of unmeasured load")
                warm(url, args, bool(use_wrk))
            spy = profile(server.pid, args.profile, args.duration) if args.profile else None
            result = (
                run_wrk(url, args.connections, args.duration, args.threads)
                if use_wrk
                else run_httpx(url, args.connections, args.duration)
            )
            print(f"web process RSS after the load: {rss_mib(server.pid):.0f} MiB")
            if spy is not None:
                spy.wait()
                print(top_frames(args.profile))
    verdict_rps = "met" if result.rps >= TARGET_RPS else "MISSED"
    verdict_p99 = "met" if result.p99_ms <= TARGET_P99_MS else "MISSED"
    print(f"load: {result.command}")
    print(f"requests: {result.requests}, errors: {result.errors}")
    print(f"throughput: {result.rps:.0f} req/s (target >= {TARGET_RPS:.0f}: {verdict_rps})")
    print(f"latency: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms "
          f"(target p99 <= {TARGET_P99_MS:.0f} ms: {verdict_p99})")  # fmt: skip


if __name__ == "__main__":
    main()
