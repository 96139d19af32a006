"""Rendered leaderboards kept in memory until a score changes them.

A board is rebuilt only when an event says it changed (or after a safety TTL),
so a busy contest page costs a dictionary look-up, not a query and a sort per
request (CTFd's scoreboard problem, #1012). Two rules keep a burst of requests
cheap when a board does change:

- single flight: one rebuild per board at a time; other requests wait for it;
- stale while revalidate: while a board that a *score* changed is rebuilt,
  requests get the previous version at once instead of queueing behind it.

And three keep it honest:

- a key names everything the body depends on besides scores: the challenge's
  state stamp (so after an organiser action no earlier body is ever served,
  not even while the new one is built), the phase, the split, the audience,
  and for the frozen audience the freeze moment;
- a score marks stale only the boards it can change, judged from what the
  event says and nothing hidden: the live public board when the team's public
  entry changed, the frozen board when the submission predates the freeze,
  the private board (only served once revealed) on any score. So a private
  score never causes a public rebuild whose timing could be observed;
- a counter per key makes sure a rebuild that started before a change is not
  mistaken for a fresh board after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from starlette.concurrency import run_in_threadpool

from app.leaderboard.rendered import RenderedBoard, entry_row
from app.leaderboard.service import BoardRow

Builder = Callable[[], RenderedBoard]


class BoardKey(NamedTuple):
    challenge_id: int
    stamp: int
    phase_id: int
    split: str  # "public" | "private"
    audience: str  # "live" | "frozen"
    frozen_at: datetime | None  # for the frozen audience: the moment its board stands at


@dataclass
class _Entry:
    built_at: float
    started: int  # the change counter when its build started
    board: RenderedBoard


class BoardCache:
    """Used from the event loop only (requests and hub callbacks), so it needs no locks."""

    def __init__(self, ttl_s: float = 300.0) -> None:
        self._ttl = ttl_s
        self._entries: dict[BoardKey, _Entry] = {}
        self._building: dict[BoardKey, asyncio.Task[RenderedBoard]] = {}
        self._counter = 0  # bumped by every change; entries remember it when built
        self._stale_at: dict[BoardKey, int] = {}
        self._dropped_at: dict[int, int] = {}  # challenge id -> counter of its last drop
        self._cleared_at = 0

    def _is_fresh(self, key: BoardKey, entry: _Entry) -> bool:
        return (
            entry.started >= self._stale_at.get(key, 0)
            and time.monotonic() - entry.built_at < self._ttl
        )

    async def get(self, key: BoardKey, build: Builder) -> RenderedBoard:
        entry = self._entries.get(key)
        if entry is not None and self._is_fresh(key, entry):
            return entry.board
        task = self._task(key, build)
        if entry is not None:
            return entry.board  # the previous board of the same state while the new one is built
        return await asyncio.shield(task)

    async def fresh(self, key: BoardKey, build: Builder) -> RenderedBoard:
        """The board as it is now, waiting for its rebuild if a change made it stale.

        For live streams: a reader is told of a change only once the new board is
        built, so the fetch the event prompts is answered with it, not with the
        previous version that stale-while-revalidate would hand out.
        """
        entry = self._entries.get(key)
        if entry is not None and self._is_fresh(key, entry):
            return entry.board
        return await asyncio.shield(self._task(key, build))

    def _task(self, key: BoardKey, build: Builder) -> asyncio.Task[RenderedBoard]:
        """The one rebuild of `key` under way, started now if there is none (single flight)."""
        task = self._building.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._rebuild(key, build))
            task.add_done_callback(_consume_error)
            self._building[key] = task
        return task

    async def _rebuild(self, key: BoardKey, build: Builder) -> RenderedBoard:
        started = self._counter
        try:
            board = await run_in_threadpool(build)
        finally:
            self._building.pop(key, None)
        if started >= self._dropped_at.get(key.challenge_id, 0) and started >= self._cleared_at:
            self._entries[key] = _Entry(time.monotonic(), started, board)
        return board

    def score_landed(
        self,
        phase_id: int,
        changed: Mapping[str, BoardRow | None],
        submitted_at: datetime | None,
    ) -> None:
        """A submission of `phase_id` was scored; `changed` maps each kept board it moved to the
        team's new entry (None when the event did not carry it).

        The live public board takes the new entry in place (one row moves); a board
        being built, or an entry that did not come with the event, is marked stale
        instead, so the next reader gets a rebuild.
        """
        self._counter += 1
        for key in {*self._entries, *self._building}:
            if key.phase_id != phase_id:
                continue
            if key.split == "private":
                stale = True  # the private board ranks final choices: any score may move it
            elif key.audience == "frozen":
                stale = (
                    submitted_at is None or key.frozen_at is None or submitted_at < key.frozen_at
                )
            elif key.split not in changed:
                stale = False
            else:
                stale = not self._apply(key, changed[key.split])
            if stale:
                self._stale_at[key] = self._counter

    def _apply(self, key: BoardKey, row: BoardRow | None) -> bool:
        """Put a team's new entry into a built board; False when only a rebuild will do."""
        entry = self._entries.get(key)
        if row is None or entry is None or key in self._building:
            return False
        if entry.started < self._stale_at.get(key, 0):
            return False  # already stale: the rebuild will read the entry from the database
        entry.board.offer(row)
        return True

    def challenge_changed(self, challenge_id: int) -> None:
        """Who may see what changed: nothing built before may be served again."""
        self._counter += 1
        self._dropped_at[challenge_id] = self._counter
        for key in [k for k in self._entries if k.challenge_id == challenge_id]:
            del self._entries[key]
            self._stale_at.pop(key, None)

    def clear(self) -> None:
        self._counter += 1
        self._cleared_at = self._counter
        self._entries.clear()
        self._stale_at.clear()

    def on_event(self, _channel: str, payload: dict[str, object]) -> None:
        landed = board_event(payload)
        if landed is not None:
            phase_id, splits, submitted_at = landed
            entries = payload.get("entries")
            carried = entries if isinstance(entries, dict) else {}
            changed = {
                split: entry_row(carried[split]) if isinstance(carried.get(split), dict) else None
                for split in splits
            }
            self.score_landed(phase_id, changed, submitted_at)

    @property
    def size(self) -> int:
        return len(self._entries)


def _consume_error(task: asyncio.Task[RenderedBoard]) -> None:
    """A failed background rebuild is retried by the next request; don't log it as lost."""
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


def board_event(payload: dict[str, object]) -> tuple[int, list[str], datetime | None] | None:
    """(phase id, splits whose kept board moved, submission time) of a `scored` event, else None."""
    if payload.get("type") != "submission" or payload.get("status") != "scored":
        return None
    phase_id = payload.get("phase_id")
    if not isinstance(phase_id, int):
        return None
    boards = payload.get("boards")
    splits = [s for s in boards if isinstance(s, str)] if isinstance(boards, list) else []
    submitted = payload.get("submitted_at")
    try:
        at = datetime.fromisoformat(submitted) if isinstance(submitted, str) else None
    except ValueError:
        at = None
    return phase_id, splits, at
