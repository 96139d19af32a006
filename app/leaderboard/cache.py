"""Rendered leaderboards kept in memory until a score changes them.

A board is rebuilt only when an event says its phase changed (or after a
safety TTL), so a busy contest page costs a dictionary look-up, not a query
and a sort per request (CTFd's scoreboard problem, #1012). Two more rules
keep a burst of requests cheap when a board does change:

- single flight: one rebuild per board at a time; other requests wait for it;
- stale while revalidate: while a changed board is rebuilt, requests get the
  previous version at once instead of queueing behind the rebuild.

A generation counter per phase makes sure a rebuild that started before a
change is not mistaken for a fresh board after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

Key = tuple[str, ...]  # e.g. (slug, phase name, split, audience)
Builder = Callable[[], tuple[int | None, bytes]]


@dataclass
class _Entry:
    built_at: float
    phase_id: int | None
    started: int  # the change counter when its build started
    body: bytes


class BoardCache:
    """Used from the event loop only (requests and hub callbacks), so it needs no locks."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self._ttl = ttl_s
        self._entries: dict[Key, _Entry] = {}
        self._building: dict[Key, asyncio.Task[bytes]] = {}
        self._counter = 0  # bumped by every change; entries remember it when built
        self._changed_at: dict[int, int] = {}
        self._cleared_at = 0  # clear(): every board is suspect after missed events

    def _is_fresh(self, entry: _Entry) -> bool:
        changed = self._changed_at.get(entry.phase_id, 0) if entry.phase_id is not None else 0
        return (
            entry.started >= changed
            and entry.started >= self._cleared_at
            and time.monotonic() - entry.built_at < self._ttl
        )

    async def get(self, key: Key, build: Builder) -> bytes:
        entry = self._entries.get(key)
        if entry is not None and self._is_fresh(entry):
            return entry.body
        task = self._building.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._rebuild(key, build))
            task.add_done_callback(_consume_error)
            self._building[key] = task
        if entry is not None:
            return entry.body  # the previous board while the new one is built
        return await asyncio.shield(task)

    async def _rebuild(self, key: Key, build: Builder) -> bytes:
        started = self._counter
        try:
            phase_id, body = await run_in_threadpool(build)
            self._entries[key] = _Entry(time.monotonic(), phase_id, started, body)
            return body
        finally:
            self._building.pop(key, None)

    def invalidate_phase(self, phase_id: int) -> None:
        self._counter += 1
        self._changed_at[phase_id] = self._counter

    def clear(self) -> None:
        self._counter += 1
        self._cleared_at = self._counter

    def on_event(self, _channel: str, payload: dict[str, Any]) -> None:
        if payload.get("board_changed") and isinstance(payload.get("phase_id"), int):
            self.invalidate_phase(payload["phase_id"])


def _consume_error(task: asyncio.Task[bytes]) -> None:
    """A failed background rebuild is retried by the next request; don't log it as lost."""
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
