"""The combination of metric and rubric, on numbers worked out by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from app.jury.ranking import (
    Finalist,
    JudgingSpec,
    Rating,
    combine,
    metric_part,
    normalise,
    rubric_part,
)

pytestmark = pytest.mark.unit  # needs no service: `make unit`


def spec(
    metric_weight: float = 0.0, rubric_weight: float = 1.0, normalise: bool = False
) -> JudgingSpec:
    config: dict[str, Any] = {
        "judging": {
            "scale": {"min": 1, "max": 5},
            "rubric": [
                {"key": "method", "label": {"en": "Method"}, "weight": 3},
                {"key": "use", "label": {"en": "Use"}, "weight": 1},
            ],
            "finalists": 3,
            "combine": {
                "metric_weight": metric_weight,
                "rubric_weight": rubric_weight,
                "normalise_judges": normalise,
            },
        }
    }
    made = JudgingSpec.from_config(config)
    assert made is not None
    return made


def test_no_judging_section_means_no_spec() -> None:
    assert JudgingSpec.from_config({"leaderboard": {}}) is None


def test_metric_part_runs_from_one_for_the_first_to_zero_for_the_last() -> None:
    assert [metric_part(r, 3) for r in (1, 2, 3)] == [1.0, 0.5, 0.0]
    assert metric_part(1, 1) == 1.0


def test_rubric_part_is_the_relative_weighted_mean_on_zero_to_one() -> None:
    s = spec()
    # method 5 -> 1.0, use 1 -> 0.0; weights 3:1 -> 0.75
    assert rubric_part(s, {"method": 5, "use": 1}) == pytest.approx(0.75)
    # method 3 -> 0.5, use 5 -> 1.0 -> (3*0.5 + 1*1.0)/4 = 0.625
    assert rubric_part(s, {"method": 3, "use": 5}) == pytest.approx(0.625)
    assert rubric_part(s, {"other": 4}) is None


def test_combined_weights_metric_and_rubric_and_ties_go_to_the_metric_rank() -> None:
    s = spec(metric_weight=0.5, rubric_weight=0.5)
    finalists = [Finalist(1, "A", 1), Finalist(2, "B", 2), Finalist(3, "C", 3)]
    ratings = [
        Rating(9, 1, {"method": 1, "use": 1}),  # 0.0  -> A: 0.5*1 + 0.5*0 = 0.5
        Rating(9, 2, {"method": 3, "use": 3}),  # 0.5  -> B: 0.5*0.5 + 0.5*0.5 = 0.5
        Rating(9, 3, {"method": 5, "use": 5}),  # 1.0  -> C: 0.5*0 + 0.5*1 = 0.5
    ]
    ranked = combine(s, finalists, ratings)
    assert [(r.team_name, r.position) for r in ranked] == [("A", 1), ("B", 2), ("C", 3)]
    assert [r.combined for r in ranked] == pytest.approx([0.5, 0.5, 0.5])
    assert [r.metric for r in ranked] == pytest.approx([1.0, 0.5, 0.0])


def test_an_unreviewed_finalist_has_no_rubric_and_only_its_metric() -> None:
    s = spec(metric_weight=0.7, rubric_weight=0.3)
    ranked = combine(s, [Finalist(1, "A", 1), Finalist(2, "B", 2)], [])
    assert [(r.team_name, r.rubric, r.combined) for r in ranked] == [
        ("A", None, 0.7),
        ("B", None, 0.0),
    ]


# Both judges put A first. The fair judge (1) rates A and B, the harsh one (3) rates A and C.
# Parts (scale 1..5, both criteria equal, so part = (r - 1) / 4):
#   judge 1: A 1.0, B 0.75        judge 3 (harsh): A 0.25, C 0.0
HARSH = [
    Rating(1, 1, {"method": 5, "use": 5}),
    Rating(1, 2, {"method": 4, "use": 4}),
    Rating(3, 1, {"method": 2, "use": 2}),
    Rating(3, 3, {"method": 1, "use": 1}),
]
THREE = [Finalist(1, "A", 1), Finalist(2, "B", 2), Finalist(3, "C", 3)]


def test_without_normalisation_the_harsh_judge_decides() -> None:
    ranked = combine(spec(normalise=False), THREE, HARSH)
    # A = (1.0 + 0.25) / 2 = 0.625 ; B = 0.75 ; C = 0.0
    assert [(r.team_name, r.rubric) for r in ranked] == [("B", 0.75), ("A", 0.625), ("C", 0.0)]


def test_with_normalisation_each_judge_has_the_same_say_and_a_wins() -> None:
    ranked = combine(spec(normalise=True), THREE, HARSH)
    # pooled mean M = (1 + 0.75 + 0.25 + 0) / 4 = 0.5
    # pooled std S = sqrt((0.5^2 + 0.25^2 + 0.25^2 + 0.5^2) / 4) = sqrt(0.15625)
    # each judge rated two teams: z = +1 for the preferred one, -1 for the other
    s = math.sqrt(0.15625)
    assert [r.team_name for r in ranked] == ["A", "B", "C"]  # B before C by metric rank
    assert [r.rubric for r in ranked] == pytest.approx([0.5 + s, 0.5 - s, 0.5 - s])
    assert [r.reviews for r in ranked] == [2, 1, 1]


def test_a_judge_who_rated_everyone_alike_moves_to_the_pooled_mean() -> None:
    got = normalise({(1, 1): 1.0, (1, 2): 0.5, (2, 1): 0.25, (2, 2): 0.25})
    mean = 2.0 / 4
    assert got[(2, 1)] == pytest.approx(mean)
    assert got[(2, 2)] == pytest.approx(mean)
