"""Ranking rules: the ranking column, tie-breakers, then the earlier submission; equal ranks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.leaderboard.ranking import BoardSpec, is_better, ranks, sort_key

pytestmark = pytest.mark.unit  # needs no service: `make unit`

SPEC = BoardSpec.from_config(
    {
        "leaderboard": {
            "columns": [
                {"key": "rmse", "better": "lower", "precision": 3, "label": {}},
                {"key": "r2", "better": "higher", "precision": 3, "label": {}},
            ],
            "rank_by": "rmse",
            "tie_breakers": ["r2"],
        }
    }
)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_lower_is_better_then_higher_tie_breaker_then_earlier() -> None:
    rows = [
        ({"rmse": 2.0, "r2": 0.5}, T0, 1),
        ({"rmse": 1.0, "r2": 0.1}, T0 + timedelta(hours=1), 2),
        ({"rmse": 1.0, "r2": 0.9}, T0 + timedelta(hours=2), 3),
        ({"rmse": 1.0, "r2": 0.9}, T0 + timedelta(hours=3), 4),
    ]
    ordered = sorted(rows, key=lambda r: sort_key(SPEC, *r))
    assert [r[2] for r in ordered] == [3, 4, 2, 1]
    assert ranks(SPEC, [r[0] for r in ordered]) == [1, 1, 3, 4]


def test_missing_or_nan_scores_rank_last() -> None:
    rows = [({"rmse": float("nan")}, T0, 1), ({}, T0, 2), ({"rmse": 9.0, "r2": 0.0}, T0, 3)]
    ordered = sorted(rows, key=lambda r: sort_key(SPEC, *r))
    assert ordered[0][2] == 3


def test_is_better_prefers_the_earlier_submission_on_a_full_tie() -> None:
    values = {"rmse": 1.0, "r2": 0.5}
    assert is_better(SPEC, values, T0, 1, values, T0 + timedelta(minutes=1), 2)
    assert not is_better(SPEC, values, T0 + timedelta(minutes=1), 2, values, T0, 1)
    assert is_better(SPEC, {"rmse": 0.5, "r2": 0.0}, T0 + timedelta(days=1), 9, values, T0, 1)
