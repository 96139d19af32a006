"""The live tail of a code run's output, while it runs: the worker writes it, the page reads it.

Judging hands the program's output to `LiveTail` chunk by chunk, and only when the
phase's log policy lets the team read it (`IngestionSpec.team_sees_output`; the page
checks the policy again before showing it). The last `TAIL_BYTES` are kept in one
Redis key per submission, written at most once per `EVERY_S`, expiring on their own:
a live view is a courtesy, so Redis being away costs nothing but the view, and once
the run ends the stored logs (`access.team_logs`) take over.
"""

from __future__ import annotations

import contextlib
import threading
import time

import redis

TAIL_BYTES = 8192
EVERY_S = 1.0
TTL_S = 600
KEY = "marea:live-log:{submission_id}"


class LiveTail:
    """Called from the sandbox's reader thread; never raises, never blocks for long."""

    def __init__(self, client: redis.Redis, submission_id: int) -> None:
        self.client = client
        self.key = KEY.format(submission_id=submission_id)
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._last = 0.0

    def __call__(self, stdout: bytes, stderr: bytes) -> None:
        with self._lock:
            self._buf += stdout + stderr
            if len(self._buf) > TAIL_BYTES:
                del self._buf[: len(self._buf) - TAIL_BYTES]
            now = time.monotonic()
            if now - self._last < EVERY_S:
                return
            self._last = now
            data = bytes(self._buf)
        with contextlib.suppress(redis.RedisError):
            self.client.set(self.key, data, ex=TTL_S)


def read_live_tail(client: redis.Redis, submission_id: int) -> str | None:
    """The latest tail, or None when there is none (not started, not allowed, Redis away)."""
    try:
        data = client.get(KEY.format(submission_id=submission_id))
    except redis.RedisError:
        return None
    if not isinstance(data, bytes):
        return None
    return data.decode("utf-8", "replace")
