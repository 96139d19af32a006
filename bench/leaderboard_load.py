"""Can one web process serve the leaderboard of a big hackathon during the final minutes?

Everyone refreshes the board at the end, so the JSON leaderboard of a challenge
with 1,000 teams and 50,000 scored submissions is the hottest URL we have.
Targets (issue 12): at least 3,000 requests/s and p99 at most 25 ms for the full
board from ONE `marea serve` process at 32 connections, at most 0.3 ms of server
CPU per cached request; the first page (`?limit=10`) at least 6,000 requests/s
with p99 at most 15 ms. Load is sent on loopback from a second process (wrk).

Usage:
  .venv/bin/python bench/leaderboard_load.py [--teams 1000] [--submissions 50000]
      [--duration 20] [--connections 32] [--warmup 5] [--path /api/v1/...?limit=10]
      [--database-url postgresql+psycopg://127.0.0.1:5432/marea_bench_x] [--keep-database]
      [--redis-url redis://127.0.0.1:PORT/0] [--data-dir DIR] [--profile /tmp/board.txt]
`wrk` (Debian package; bash scripts/ensure-wrk.sh) is used when installed, otherwise an
asyncio httpx client. See bench/README.md for every option.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
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
    have_wrk,
    load,
    load_average,
    machine,
    place,
    rss_mib,
    serve,
)

BOARD = f"/api/v1/challenges/{SLUG}/leaderboard"
TARGET_RPS = 3000.0
TARGET_P99_MS = 25.0
TARGET_CPU_MS = 0.3


def profile(pid: int, out: Path, duration: float) -> subprocess.Popen[bytes]:
    """py-spy (PyPI: pip install py-spy) samples the server under load: where does a request go?"""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists() and shutil.which(spy) is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(max(int(duration) - 2, 1)),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=20, help="Seconds of measured load.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (2 cores: keep 1).")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--path", default=BOARD, help="What to load (default: the full board).")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0,
        help="Seconds of unmeasured load first (0: measure from a cold board cache).",
    )
    parser.add_argument(
        "--profile", type=Path, help="Record the server with py-spy into this collapsed-stack file."
    )
    add_site_options(parser)
    args = parser.parse_args()
    if args.tool == "wrk" and not have_wrk():
        raise SystemExit("wrk is not installed: bash scripts/ensure-wrk.sh")

    print(f"machine: {machine()}; load average {load_average()}; commit {commit()}")
    print(f"command: {command_line('leaderboard_load.py')}")
    with place(args) as where:
        made = build(where, args.teams, args.submissions)
        print(describe(made, where.database.url))
        with serve(where) as server:
            url = server.base_url + args.path
            first = httpx.get(url, timeout=60)
            first.raise_for_status()
            body = first.json()
            rows = len(body["rows"])
            total = body.get("total", "absent")
            print(f"GET {args.path}: {rows} rows (total {total}), "
                  f"{len(first.content) / 1024:.0f} KiB per response")  # fmt: skip
            if args.path == BOARD and rows != args.teams:
                raise SystemExit(f"expected {args.teams} rows on the board, got {rows}")
            if args.warmup:
                print(f"warm-up: {args.warmup:.0f} s of unmeasured load")
                load(url, connections=args.connections, duration=args.warmup, pid=None,
                     tool=args.tool, threads=args.threads)  # fmt: skip
            spy = profile(server.pid, args.profile, args.duration) if args.profile else None
            result = load(url, connections=args.connections, duration=args.duration,
                          pid=server.pid, tool=args.tool, threads=args.threads)  # fmt: skip
            print(f"web process RSS after the load: {rss_mib(server.pid):.0f} MiB")
            if spy is not None:
                spy.wait()
                print(top_frames(args.profile))
    print(f"load: {result.command}")
    print(f"requests: {result.requests}, errors: {result.errors}; load average {load_average()}")
    print(f"throughput: {result.rps:.0f} req/s (full board target >= {TARGET_RPS:.0f}: "
          f"{'met' if result.rps >= TARGET_RPS else 'MISSED'})")  # fmt: skip
    print(f"latency: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms "
          f"(full board target p99 <= {TARGET_P99_MS:.0f} ms: "
          f"{'met' if result.p99_ms <= TARGET_P99_MS else 'MISSED'})")  # fmt: skip
    cpu = result.cpu_ms_per_request
    print(f"server CPU: {result.server_cpu_s:.2f} s for {result.requests} requests = "
          f"{cpu:.3f} ms per request (target <= {TARGET_CPU_MS} ms: "
          f"{'met' if cpu <= TARGET_CPU_MS else 'MISSED'})")  # fmt: skip


if __name__ == "__main__":
    main()
