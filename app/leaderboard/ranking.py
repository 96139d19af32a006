"""How rows compare: the ranking column, then the tie-breakers, then the earlier submission.

Pure functions over plain values, shared by the incremental update (is the new
score better than the team's entry?) and by rendering (ranks, equal ranks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class BoardColumn:
    key: str
    better: str  # "lower" | "higher"
    precision: int
    label: Mapping[str, str]


@dataclass(frozen=True)
class BoardSpec:
    columns: tuple[BoardColumn, ...]
    rank_by: str
    tie_breakers: tuple[str, ...]

    @property
    def order(self) -> tuple[str, ...]:
        return (self.rank_by, *self.tie_breakers)

    def column(self, key: str) -> BoardColumn:
        return next(c for c in self.columns if c.key == key)

    @property
    def empty(self) -> bool:
        """A project-only challenge has no board: a jury ranks it (`has_board`)."""
        return not self.columns

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BoardSpec:
        """The board of a stored bundle; an empty one (no columns, nothing to rank by) when the
        bundle has none, so code that lists rows of a project-only challenge lists none."""
        board = config.get("leaderboard")
        if not board:
            return cls(columns=(), rank_by="", tie_breakers=())
        return cls(
            columns=tuple(
                BoardColumn(
                    key=c["key"],
                    better=c.get("better", "lower"),
                    precision=int(c.get("precision", 4)),
                    label=c.get("label", {}),
                )
                for c in board["columns"]
            ),
            rank_by=board["rank_by"],
            tie_breakers=tuple(board.get("tie_breakers", [])),
        )


def has_board(config: Mapping[str, Any]) -> bool:
    """Whether a stored bundle ranks teams on a board; a project-only challenge does not."""
    return bool(config.get("leaderboard"))


def signed(value: float | None, better: str) -> float:
    """Map a score so that smaller is always better; missing or NaN ranks last."""
    if value is None or math.isnan(value):
        return math.inf
    return value if better == "lower" else -value


def sort_key(
    spec: BoardSpec, values: Mapping[str, float], submitted_at: datetime, submission_id: int
) -> tuple[Any, ...]:
    metric_part = tuple(
        round(signed(values.get(key), spec.column(key).better), 12) for key in spec.order
    )
    return (*metric_part, submitted_at, submission_id)


def rank_value(spec: BoardSpec, values: Mapping[str, float]) -> float:
    return signed(values.get(spec.rank_by), spec.column(spec.rank_by).better)


def is_better(
    spec: BoardSpec,
    new: Mapping[str, float],
    new_at: datetime,
    new_id: int,
    old: Mapping[str, float],
    old_at: datetime,
    old_id: int,
) -> bool:
    return sort_key(spec, new, new_at, new_id) < sort_key(spec, old, old_at, old_id)


def ranks(spec: BoardSpec, rows: Sequence[Mapping[str, float]]) -> list[int]:
    """Competition ranks ("1, 2, 2, 4") for rows already sorted by sort_key.

    Rows whose ranking and tie-breaker values are equal share a rank; the
    earlier submission still comes first in the list.
    """
    result: list[int] = []
    previous: tuple[float, ...] | None = None
    for index, values in enumerate(rows):
        metrics = tuple(round(signed(values.get(k), spec.column(k).better), 12) for k in spec.order)
        if metrics == previous:
            result.append(result[-1])
        else:
            result.append(index + 1)
        previous = metrics
    return result
