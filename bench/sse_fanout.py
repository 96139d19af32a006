"""How fast does one board change reach 1,000 open leaderboard pages?

During the final minutes every participant keeps the board open: each page
holds one Server-Sent Events connection to /api/v1/challenges/{slug}/events.
One score published to Redis must reach all of them quickly and the web
process must not balloon. Targets (issue 4): p99 delivery <= 500 ms, RSS of
the web process < 250 MB with 1,000 connections. The connections come from a
second process (this one) over loopback, as raw asyncio sockets.

Usage: .venv/bin/python bench/sse_fanout.py [--connections 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leaderboard_load import REDIS_URL, SLUG, build_database, machine, rss_mib, serve

from app.events import challenge_channel

TARGET_P99_MS = 500.0
TARGET_RSS_MB = 250.0
BOARD_EVENT = b"event: board"


class Listener:
    """One open page: an SSE connection that notes when each board event arrives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.arrivals: list[float] = []
        self._buffer = b""

    async def read_events(self) -> None:
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            now = time.perf_counter()
            self._buffer += chunk
            while BOARD_EVENT in self._buffer:
                self.arrivals.append(now)
                self._buffer = self._buffer.split(BOARD_EVENT, 1)[1]
            self._buffer = self._buffer[-len(BOARD_EVENT) :]


async def connect(host: str, port: int, path: str) -> Listener:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"SSE connection refused: {head.decode(errors='replace')[:200]}")
    # The server subscribes before it answers, so after the headers this page is listening.
    return Listener(reader, writer)


async def fan_out(
    base_url: str, pid: int, challenge_id: int, phase_id: int, count: int, rounds: int
) -> None:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = f"/api/v1/challenges/{SLUG}/events"
    print(f"web process RSS before: {rss_mib(pid):.0f} MiB")
    started = time.perf_counter()
    listeners: list[Listener] = []
    for start in range(0, count, 100):  # in batches: a page load storm, not a SYN flood
        batch = await asyncio.gather(
            *(connect(host, port, path) for _ in range(start, min(start + 100, count)))
        )
        listeners.extend(batch)
    print(f"{len(listeners)} SSE connections open in {time.perf_counter() - started:.1f} s")
    readers = [asyncio.create_task(listener.read_events()) for listener in listeners]
    await asyncio.sleep(1.0)
    rss_open = rss_mib(pid)
    print(f"web process RSS with {count} connections: {rss_open:.0f} MiB")

    client = redis.Redis.from_url(REDIS_URL)
    payload = {
        "type": "submission",
        "submission_id": 1_000_000,
        "challenge_id": challenge_id,
        "phase_id": phase_id,
        "team_id": 100_000,
        "status": "scored",
        "failure": None,
        "boards": ["public"],
    }
    all_latencies: list[float] = []
    # Redis pub/sub ignores the database number, so another Marea on this Redis could publish
    # on the same channel: only the first event after our own publish counts.
    for round_no in range(1, rounds + 1):
        sent = time.perf_counter()
        client.publish(challenge_channel(challenge_id), json.dumps(payload))
        deadline = sent + 10.0

        def first_after(listener: Listener, since: float = sent) -> float | None:
            return next((t for t in listener.arrivals if t >= since), None)

        while time.perf_counter() < deadline:
            if all(first_after(lis) is not None for lis in listeners):
                break
            await asyncio.sleep(0.005)
        arrivals = [first_after(lis) for lis in listeners]
        latencies = [(t - sent) * 1000 for t in arrivals if t is not None]
        missed = count - len(latencies)
        report(f"round {round_no}", latencies, missed)
        all_latencies.extend(latencies)
        await asyncio.sleep(1.0)
    client.close()
    rss_after = rss_mib(pid)
    print(f"web process RSS after {rounds} events: {rss_after:.0f} MiB")
    for task in readers:
        task.cancel()
    for listener in listeners:
        listener.writer.close()

    p99 = statistics.quantiles(all_latencies, n=100)[98] if len(all_latencies) > 1 else 0.0
    rss = max(rss_open, rss_after)
    print(
        f"overall: p99 {p99:.0f} ms (target <= {TARGET_P99_MS:.0f} ms: "
        f"{'met' if p99 <= TARGET_P99_MS else 'MISSED'}), peak RSS {rss:.0f} MiB "
        f"(target < {TARGET_RSS_MB:.0f} MB: {'met' if rss * 1.048576 < TARGET_RSS_MB else 'MISSED'})"
    )


def report(label: str, latencies: list[float], missed: int) -> None:
    if len(latencies) < 2:
        print(f"{label}: {len(latencies)} delivered, {missed} missed")
        return
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{label}: delivered to {len(latencies)}, missed {missed}; "
        f"p50 {cuts[49]:.0f} ms, p99 {cuts[98]:.0f} ms, max {max(latencies):.0f} ms"
    )


def challenge_id_of(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "marea.db") as db:
        row = db.execute("SELECT id FROM challenge WHERE slug = ?", (SLUG,)).fetchone()
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="Board events published, 1 s apart.")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print("command:", " ".join([".venv/bin/python", "bench/sse_fanout.py", *sys.argv[1:]]))
    with tempfile.TemporaryDirectory(prefix="marea-bench-") as tmp:
        data_dir = Path(tmp)
        phase_id = build_database(data_dir, "", args.teams, args.submissions)
        with serve(data_dir, "") as server:
            asyncio.run(
                fan_out(
                    server.base_url,
                    server.pid,
                    challenge_id_of(data_dir),
                    phase_id,
                    args.connections,
                    args.rounds,
                )
            )


if __name__ == "__main__":
    main()
