"""The board cache marks stale only what a score can change, and never serves across states."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.leaderboard.cache import BoardCache, BoardKey, board_event
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.rendered import RenderedBoard, board_head
from app.leaderboard.service import BoardRow
from app.live.sse import paced

pytestmark = pytest.mark.unit  # needs no service: `make unit`

SPEC = BoardSpec.from_config(
    {"leaderboard": {"rank_by": "rmse", "columns": [{"key": "rmse", "label": {}}]}}
)


def _board(name: str) -> RenderedBoard:
    return RenderedBoard(SPEC, board_head(name, "final", "public", SPEC), [])


FROZEN_AT = datetime(2027, 5, 15, 12, 0, tzinfo=UTC)
KEYS = {
    "live public": BoardKey(1, 10, 7, "public", "live", None),
    "frozen public": BoardKey(1, 10, 7, "public", "frozen", FROZEN_AT),
    "private": BoardKey(1, 10, 7, "private", "live", None),
    "other phase": BoardKey(1, 10, 8, "public", "live", None),
}


ENTRY = BoardRow(0, 5, "Delfini", 99, FROZEN_AT, {"rmse": 0.5})


def _rebuilt_after(changed: list[str], submitted_at: datetime | None) -> set[str]:
    """Which cached boards a score event sends back to the database (the event carries the
    team's new entry only for the live public board, which takes it in place)."""

    async def run() -> set[str]:
        cache = BoardCache()
        builds: list[str] = []

        def builder(name: str) -> Callable[[], RenderedBoard]:
            def build() -> RenderedBoard:
                builds.append(name)
                return _board(name)

            return build

        for name, key in KEYS.items():
            await cache.get(key, builder(name))
        builds.clear()
        cache.score_landed(7, dict.fromkeys(changed, ENTRY), submitted_at)
        for name, key in KEYS.items():
            await cache.fresh(key, builder(name))
        return set(builds)

    return asyncio.run(run())


def test_a_score_rebuilds_only_the_boards_it_can_move() -> None:
    before_freeze = FROZEN_AT - timedelta(hours=1)
    after_freeze = FROZEN_AT + timedelta(hours=1)
    table = [
        # changed splits, submitted at, boards rebuilt
        ([], after_freeze, {"private"}),
        (["private"], after_freeze, {"private"}),  # a private best never touches a public board
        (["public"], after_freeze, {"private"}),  # the live board moved one row in place
        (["public", "private"], before_freeze, {"frozen public", "private"}),
        ([], before_freeze, {"frozen public", "private"}),  # the frozen board is recomputed
    ]
    for changed, at, expected in table:
        assert _rebuilt_after(changed, at) == expected, (changed, at)


def test_the_live_board_takes_a_new_entry_in_place_or_rebuilds_without_it() -> None:
    async def run() -> tuple[bytes, bytes, int]:
        cache = BoardCache()
        key = KEYS["live public"]
        builds = []

        def build() -> RenderedBoard:
            builds.append(1)
            return _board("live")

        await cache.get(key, build)
        cache.score_landed(7, {"public": ENTRY}, None)
        moved = (await cache.get(key, build)).body()
        cache.score_landed(7, {"public": None}, None)  # an event without the entry
        rebuilt = (await cache.fresh(key, build)).body()
        return moved, rebuilt, len(builds)

    moved, rebuilt, builds = asyncio.run(run())
    assert b'"Delfini"' in moved and b'"Delfini"' not in rebuilt and builds == 2


def test_an_organiser_change_drops_every_board_of_the_challenge() -> None:
    async def run() -> list[bytes]:
        cache = BoardCache()
        key = KEYS["live public"]
        first = (await cache.get(key, lambda: _board("before"))).body()
        cache.challenge_changed(1)
        # Not even stale-while-revalidate may hand out the old body now.
        second = (await cache.get(key, lambda: _board("after"))).body()
        return [first, second]

    first, second = asyncio.run(run())
    assert b'"before"' in first and b'"after"' in second


def test_board_events_are_read_from_scored_submissions_only() -> None:
    at = "2027-05-15T11:00:00+00:00"
    scored = {"type": "submission", "status": "scored", "phase_id": 7, "boards": ["public"]}
    assert board_event({**scored, "submitted_at": at}) == (
        7,
        ["public"],
        datetime.fromisoformat(at),
    )
    assert board_event({**scored, "status": "failed"}) is None
    assert board_event({"type": "challenge", "challenge_id": 1}) is None


def test_keepalives_follow_a_fixed_schedule_while_items_stream_past() -> None:
    """Items every 20 ms for 0.5 s with a 0.1 s schedule: about five ticks, not none."""

    async def run() -> int:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()

        async def feed() -> None:
            for _ in range(25):
                await queue.put({"type": "noise"})
                await asyncio.sleep(0.02)

        feeder = asyncio.create_task(feed())
        ticks = 0
        items = 0
        async for item in paced(queue, 0.1):  # type: ignore[arg-type]
            if item is None:
                ticks += 1
            else:
                items += 1
            if items == 25:
                break
        await feeder
        return ticks

    assert asyncio.run(run()) >= 3
