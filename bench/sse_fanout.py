"""How fast does one board change reach 1,000 open leaderboard pages?

During the final minutes every participant keeps the board open: each page
holds one Server-Sent Events connection to /api/v1/challenges/{slug}/events.
One score published to Redis must reach all of them quickly and the web
process must not balloon. Targets (issue 4): p99 delivery <= 500 ms, RSS of
the web process < 250 MB with 1,000 connections. The connections come from a
second process (this one) over loopback, as raw asyncio sockets. They all come
from 127.0.0.1, so the server runs with MAREA_STREAMS_PER_CLIENT raised above
their number (the per-address cap would otherwise refuse all but 32).

Usage: .venv/bin/python bench/sse_fanout.py [--connections 1000] [--rounds 3]
           [--redis-url ...] [--database-url ...] [--data-dir ...]  (see bench/README.md)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board_data import build, describe
from harness import (
    SLUG,
    add_site_options,
    command_line,
    commit,
    load_average,
    machine,
    place,
    rss_mib,
    serve,
)

from app.live.events import challenge_channel

TARGET_P99_MS = 500.0
TARGET_RSS_MB = 250.0
BOARD_EVENT = b"event: board"


def stream_env(connections: int) -> dict[str, str]:
    """What the server needs to admit this many streams from one address (this process)."""
    return {"MAREA_STREAMS_PER_CLIENT": str(connections + 100)}


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
        raise SystemExit(f"SSE connection refused: {head.decode(errors='replace')[:300]}")
    # The server subscribes before it answers, so after the headers this page is listening.
    return Listener(reader, writer)


@dataclass
class Pages:
    """Open SSE connections and the tasks reading them."""

    listeners: list[Listener]
    readers: list[asyncio.Task[None]]
    opened_s: float

    def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for listener in self.listeners:
            listener.writer.close()


async def open_pages(base_url: str, count: int) -> Pages:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = f"/api/v1/challenges/{SLUG}/events"
    started = time.perf_counter()
    listeners: list[Listener] = []
    for start in range(0, count, 100):  # in batches: a page load storm, not a SYN flood
        batch = await asyncio.gather(
            *(connect(host, port, path) for _ in range(start, min(start + 100, count)))
        )
        listeners.extend(batch)
    readers = [asyncio.create_task(listener.read_events()) for listener in listeners]
    return Pages(listeners, readers, time.perf_counter() - started)


async def one_round(
    pages: Pages, client: redis.Redis, challenge_id: int, phase_id: int, team_id: int
) -> tuple[list[float], int]:
    """Publish one scored event that moved the public board; (delivery ms per page, missed)."""
    payload = {
        "type": "submission",
        "submission_id": 1,
        "challenge_id": challenge_id,
        "phase_id": phase_id,
        "team_id": team_id,
        "status": "scored",
        "failure": None,
        "submitted_at": "2026-11-22T10:00:00+00:00",
        "boards": ["public"],
    }
    # Redis pub/sub ignores the database number, so another Marea on this Redis could publish
    # on the same channel: only the first event after our own publish counts.
    sent = time.perf_counter()
    client.publish(challenge_channel(challenge_id), json.dumps(payload))
    deadline = sent + 10.0

    def first_after(listener: Listener) -> float | None:
        return next((t for t in listener.arrivals if t >= sent), None)

    while time.perf_counter() < deadline:
        if all(first_after(lis) is not None for lis in pages.listeners):
            break
        await asyncio.sleep(0.002)
    arrivals = [first_after(lis) for lis in pages.listeners]
    latencies = [(t - sent) * 1000 for t in arrivals if t is not None]
    return latencies, len(pages.listeners) - len(latencies)


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


def report(label: str, latencies: list[float], missed: int) -> None:
    if len(latencies) < 2:
        print(f"{label}: {len(latencies)} delivered, {missed} missed")
        return
    print(
        f"{label}: delivered to {len(latencies)}, missed {missed}; p50 {quantile(latencies, 50):.0f}"
        f" ms, p99 {quantile(latencies, 99):.0f} ms, max {max(latencies):.0f} ms"
    )


async def fan_out(
    base_url: str, redis_url: str, pid: int, challenge_id: int, phase_id: int, team_id: int,
    count: int, rounds: int,
) -> None:  # fmt: skip
    print(f"web process RSS before: {rss_mib(pid):.0f} MiB")
    pages = await open_pages(base_url, count)
    print(f"{len(pages.listeners)} SSE connections open in {pages.opened_s:.1f} s")
    await asyncio.sleep(1.0)
    rss_open = rss_mib(pid)
    print(f"web process RSS with {count} connections: {rss_open:.0f} MiB")
    client = redis.Redis.from_url(redis_url)
    all_latencies: list[float] = []
    for round_no in range(1, rounds + 1):
        latencies, missed = await one_round(pages, client, challenge_id, phase_id, team_id)
        report(f"round {round_no}", latencies, missed)
        all_latencies.extend(latencies)
        await asyncio.sleep(1.0)
    client.close()
    rss_after = rss_mib(pid)
    print(f"web process RSS after {rounds} events: {rss_after:.0f} MiB")
    pages.close()
    p99 = quantile(all_latencies, 99)
    rss = max(rss_open, rss_after)
    print(
        f"overall: p99 {p99:.0f} ms (target <= {TARGET_P99_MS:.0f} ms: "
        f"{'met' if p99 <= TARGET_P99_MS else 'MISSED'}), peak RSS {rss:.0f} MiB "
        f"(target < {TARGET_RSS_MB:.0f} MB: {'met' if rss * 1.048576 < TARGET_RSS_MB else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="Board events published, 1 s apart.")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    add_site_options(parser)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {load_average()}; commit {commit()}")
    print(f"command: {command_line('sse_fanout.py')}")
    with place(args, stream_env(args.connections)) as where:
        made = build(where, args.teams, args.submissions)
        print(describe(made, where.database.url))
        with serve(where) as server:
            asyncio.run(
                fan_out(server.base_url, where.redis_url, server.pid, made.challenge_id,
                        made.phase_id, made.first_team_id, args.connections, args.rounds)
            )  # fmt: skip
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
