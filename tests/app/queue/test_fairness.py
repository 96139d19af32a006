"""The fairness rule: one team's burst does not delay other teams, nor one challenge's burst
the other challenges sharing its compute pool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.queue.dispatch import Waiting, choose

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_burst_from_one_team_does_not_starve_another() -> None:
    burst = [Waiting(i, 1, T0 + timedelta(seconds=i)) for i in range(1, 51)]
    late = [Waiting(100, 2, T0 + timedelta(minutes=5))]
    picked = choose(burst + late, busy={}, budget=4, team_cap=2)
    assert 100 in picked
    assert picked.count(100) == 1
    assert len([p for p in picked if p < 100]) == 2  # team 1 capped at 2 in flight


def test_oldest_first_within_a_team_and_busy_teams_wait() -> None:
    pending = [
        Waiting(1, 1, T0),
        Waiting(2, 1, T0 + timedelta(seconds=1)),
        Waiting(3, 2, T0 + timedelta(seconds=2)),
    ]
    assert choose(pending, busy={1: 2}, budget=5, team_cap=2) == [3]
    assert choose(pending, busy={}, budget=1, team_cap=2) == [1]
    # equal load: the older waiting submission goes first
    assert choose(pending, busy={2: 1}, budget=3, team_cap=2) == [1, 2, 3]
    assert choose(pending, busy={1: 1}, budget=3, team_cap=2) == [3, 1]


def test_budget_zero_picks_nothing() -> None:
    assert choose([Waiting(1, 1, T0)], busy={}, budget=0, team_cap=2) == []


def _burst_of_a_and_one_of_b() -> list[Waiting]:
    """Challenge 7: 200 submissions of 100 teams; challenge 8: one, submitted after them all."""
    burst = [
        Waiting(i, 1000 + i % 100, T0 + timedelta(seconds=i), challenge_id=7) for i in range(200)
    ]
    return [*burst, Waiting(999, 1, T0 + timedelta(hours=1), challenge_id=8)]


def test_a_burst_of_one_challenge_delays_another_by_at_most_one_slot() -> None:
    pending = _burst_of_a_and_one_of_b()
    # Nothing in flight: the burst's oldest goes first, the other challenge's next.
    assert choose(pending, busy={}, budget=2, team_cap=2) == [0, 999]
    # One slot a round: challenge 8 gets the very next one after challenge 7's first.
    first = choose(pending, busy={}, budget=1, team_cap=2)
    assert first == [0]
    after = choose(
        [p for p in pending if p.submission_id not in first],
        busy={1000: 1},
        budget=1,
        team_cap=2,
        busy_challenges={7: 1},
    )
    assert after == [999]
    # However much of challenge 7 is already running, challenge 8 is next.
    assert choose(pending, busy={}, budget=1, team_cap=2, busy_challenges={7: 40}) == [999]


def test_challenges_alternate_and_team_fairness_holds_inside_each() -> None:
    a = [Waiting(i, 1, T0 + timedelta(seconds=i), challenge_id=7) for i in range(1, 6)]
    a.append(Waiting(50, 2, T0 + timedelta(seconds=50), challenge_id=7))
    b = [Waiting(100 + i, 3, T0 + timedelta(minutes=i), challenge_id=8) for i in range(1, 4)]
    picked = choose([*a, *b], busy={}, budget=6, team_cap=2)
    # Challenges take turns; inside challenge 7 team 2's late one comes before team 1's second.
    assert picked == [1, 101, 50, 102, 2]  # then team 1 and team 3 are at their cap of 2
    assert choose([*a, *b], busy={3: 2}, budget=3, team_cap=2) == [1, 50, 2]
