"""The fairness rule: one team's burst does not delay other teams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.queue.dispatch import choose

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_burst_from_one_team_does_not_starve_another() -> None:
    burst = [(i, 1, T0 + timedelta(seconds=i)) for i in range(1, 51)]
    late = [(100, 2, T0 + timedelta(minutes=5))]
    picked = choose(burst + late, busy={}, budget=4, team_cap=2)
    assert 100 in picked
    assert picked.count(100) == 1
    assert len([p for p in picked if p < 100]) == 2  # team 1 capped at 2 in flight


def test_oldest_first_within_a_team_and_busy_teams_wait() -> None:
    pending = [(1, 1, T0), (2, 1, T0 + timedelta(seconds=1)), (3, 2, T0 + timedelta(seconds=2))]
    assert choose(pending, busy={1: 2}, budget=5, team_cap=2) == [3]
    assert choose(pending, busy={}, budget=1, team_cap=2) == [1]
    # equal load: the older waiting submission goes first
    assert choose(pending, busy={2: 1}, budget=3, team_cap=2) == [1, 2, 3]
    assert choose(pending, busy={1: 1}, budget=3, team_cap=2) == [3, 1]


def test_budget_zero_picks_nothing() -> None:
    assert choose([(1, 1, T0)], busy={}, budget=0, team_cap=2) == []
