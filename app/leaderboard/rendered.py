"""A ranked board kept as JSON fragments, changed one row at a time.

A landed score changes one team's kept entry; rebuilding and re-serialising
every row for that (10,000 rows take a third of a second on PostgreSQL) would
keep a web process busy during the last minutes of a contest. Here the board
is a sorted list of rows, each already serialised except for its rank: a new
entry of a team is one removal and one `bisect` insertion, and the bytes a
reader gets are joined from the fragments the first time someone asks after a
change. A row's rank is found by bisection too (the first row with the same
metrics, plus one), so a page (`limit`/`offset`) or "around a team" costs its
own rows, whatever the size of the board; only the whole board costs them all.

`RenderedBoard.body(...)` is byte for byte what a full rebuild from the
database would give for the same entries; tests hold the two together.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.leaderboard.ranking import BoardSpec, is_better, sort_key
from app.leaderboard.service import BoardRow

AROUND = 10  # rows above and below a team in "around my team"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class _Ranked:
    key: tuple[Any, ...]
    team_id: int
    row: BoardRow
    tail: str  # the row's JSON after `{"rank":N,`


class RenderedBoard:
    """Used from one event loop only: a change and a read never interleave."""

    def __init__(
        self,
        spec: BoardSpec,
        head: Mapping[str, Any],
        rows: Iterable[BoardRow],
        exclude: Iterable[int] = (),
    ) -> None:
        self._spec = spec
        self._columns = [(c.key, c.precision) for c in spec.columns]
        self._metric_len = len(spec.order)
        self._exclude = frozenset(exclude)
        # '{"challenge":...,"columns":[...],' : everything before the count and the rows
        self._head = _dumps(dict(head))[:-1] + ","
        ranked = [self._ranked(row) for row in rows if row.team_id not in self._exclude]
        ranked.sort(key=lambda r: r.key)
        self._rows = ranked
        self._keys = [r.key for r in ranked]
        self._by_team = {r.team_id: r for r in ranked}
        self._bodies: dict[tuple[int, int | None], bytes] = {}

    @property
    def total(self) -> int:
        return len(self._rows)

    def _ranked(self, row: BoardRow) -> _Ranked:
        scores = {
            key: (round(row.values[key], precision) if key in row.values else None)
            for key, precision in self._columns
        }
        tail = _dumps(
            {
                "team": {"id": row.team_id, "name": row.team_name},
                "submission_id": row.submission_id,
                "submitted_at": row.submitted_at.isoformat(),
                "scores": scores,
            }
        )[1:]
        key = sort_key(self._spec, row.values, row.submitted_at, row.submission_id)
        return _Ranked(key, row.team_id, row, tail)

    def offer(self, row: BoardRow) -> bool:
        """A team's new kept entry; True when the board changed.

        Kept entries only improve, so an entry that is not better than the one
        held is an event that arrived late (two workers publish in any order)
        and is ignored, exactly as the database's `offer` would have kept the best.
        """
        if row.team_id in self._exclude:
            return False
        held = self._by_team.get(row.team_id)
        if held is not None:
            old = held.row
            if not is_better(
                self._spec,
                row.values,
                row.submitted_at,
                row.submission_id,
                old.values,
                old.submitted_at,
                old.submission_id,
            ):
                return False
            at = bisect.bisect_left(self._keys, held.key)
            while self._rows[at].team_id != row.team_id:  # equal keys: find the team's own
                at += 1
            del self._rows[at]
            del self._keys[at]
        ranked = self._ranked(row)
        at = bisect.bisect_right(self._keys, ranked.key)
        self._rows.insert(at, ranked)
        self._keys.insert(at, ranked.key)
        self._by_team[row.team_id] = ranked
        self._bodies.clear()
        return True

    def _ranks(self, indexes: range) -> list[int]:
        """Competition ranks of consecutive rows: equal metrics share the first one's rank.

        The first row's rank is the position of the first row with its metrics (a key's
        metric part sorts before every full key that starts with it), so a page needs no
        pass over the rows above it.
        """
        ranks: list[int] = []
        previous: tuple[Any, ...] | None = None
        for index in indexes:
            metrics = self._rows[index].key[: self._metric_len]
            if metrics == previous:
                ranks.append(ranks[-1])
            elif previous is None:
                ranks.append(bisect.bisect_left(self._keys, metrics) + 1)
            else:
                ranks.append(index + 1)
            previous = metrics
        return ranks

    def body(self, offset: int = 0, limit: int | None = None) -> bytes:
        """The board's JSON, or one page of it; pages and the whole are kept until a change."""
        cache_key = (offset, limit)
        found = self._bodies.get(cache_key)
        if found is not None:
            return found
        end = self.total if limit is None else min(self.total, offset + limit)
        body = self._render(range(offset, end), offset, limit)
        if len(self._bodies) > 64:  # a few popular pages; arbitrary offsets are not hoarded
            self._bodies.clear()
        self._bodies[cache_key] = body
        return body

    def around(self, team_id: int, radius: int = AROUND) -> bytes | None:
        """The team's row with `radius` rows above and below it; None when it has no row."""
        held = self._by_team.get(team_id)
        if held is None:
            return None
        at = bisect.bisect_left(self._keys, held.key)
        start = max(0, at - radius)
        return self._render(range(start, min(self.total, at + radius + 1)), start, 2 * radius + 1)

    def _render(self, indexes: range, offset: int, limit: int | None) -> bytes:
        ranks = self._ranks(indexes)
        rows = ",".join(
            f'{{"rank":{rank},{self._rows[i].tail}' for rank, i in zip(ranks, indexes, strict=True)
        )
        page = "" if limit is None else f'"offset":{offset},"limit":{limit},'
        return f'{self._head}"total":{self.total},{page}"rows":[{rows}]}}'.encode()

    def rows(self) -> list[BoardRow]:
        return [r.row for r in self._rows]


def board_head(slug: str, phase: str, split: str, spec: BoardSpec) -> dict[str, Any]:
    """What a board's JSON says before its rows (LeaderboardOut's other fields)."""
    return {
        "challenge": slug,
        "phase": phase,
        "split": split,
        "columns": [
            {"key": c.key, "label": dict(c.label), "better": c.better, "precision": c.precision}
            for c in spec.columns
        ],
    }


def entry_row(data: Mapping[str, Any]) -> BoardRow | None:
    """A kept entry as a score event carries it (see app.live.notify), or None if malformed."""
    try:
        values = {str(k): float(v) for k, v in dict(data["values"]).items()}
        return BoardRow(
            rank=0,
            team_id=int(data["team_id"]),
            team_name=str(data["team_name"]),
            submission_id=int(data["submission_id"]),
            submitted_at=datetime.fromisoformat(str(data["submitted_at"])),
            values=values,
        )
    except (KeyError, TypeError, ValueError):
        return None
