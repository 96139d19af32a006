"""Rendered leaderboards kept in memory until a score changes them.

A board is rebuilt only when an event says its phase changed (or after a
short safety TTL), so a busy contest page costs a dictionary look-up, not a
query and a sort per request (CTFd's scoreboard problem, #1012).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Key = tuple[str, ...]  # e.g. (slug, phase name, split, audience)


class BoardCache:
    def __init__(self, ttl_s: float = 30.0) -> None:
        self._ttl = ttl_s
        # key -> (built at, phase id the body depends on, body)
        self._entries: dict[Key, tuple[float, int | None, bytes]] = {}
        self._lock = threading.Lock()

    def lookup(self, key: Key) -> bytes | None:
        hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[2]
        return None

    def store(self, key: Key, phase_id: int | None, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), phase_id, body)

    def get(self, key: Key, build: Callable[[], tuple[int | None, bytes]]) -> bytes:
        body = self.lookup(key)
        if body is None:
            phase_id, body = build()
            self.store(key, phase_id, body)
        return body

    def invalidate_phase(self, phase_id: int) -> None:
        with self._lock:
            for key in [k for k, v in self._entries.items() if v[1] == phase_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def on_event(self, _channel: str, payload: dict[str, Any]) -> None:
        if payload.get("board_changed") and isinstance(payload.get("phase_id"), int):
            self.invalidate_phase(payload["phase_id"])
