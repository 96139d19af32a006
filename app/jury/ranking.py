"""The final ranking: the leaderboard metric and the judges' rubric, combined as the bundle says.

Precisely, for the finalists (the top `judging.finalists` teams of the final
board, n of them, in board order):

* metric part of a team = 1 - (rank - 1) / (n - 1), where rank is its board
  rank (ties share a rank); 1.0 when n == 1. The best team gets 1, the last 0,
  so the metric counts by position and not by raw score, whose scale differs
  from one challenge to the next.
* rubric part of one review = sum over criteria of w_c * (r_c - min) / (max - min),
  with w_c = weight_c / sum of the weights of the criteria the review rated
  (weights in the bundle are relative), and min/max the bundle's scale. It lies
  in 0..1 whatever the scale.
* with `normalise_judges`, each judge's parts are z-scored across the teams that
  judge rated, then mapped back onto the pooled mean M and (population) standard
  deviation S of all parts: p' = M + S * (p - m_j) / s_j. A judge who gave every
  team the same part (s_j == 0, including a judge who rated one team) tells
  nothing about order, so each of their parts becomes M. This keeps the
  judges' common level and spread but gives every judge the same say: a harsh
  or wide-ranging judge no longer outweighs the others. Parts may then leave
  0..1 slightly; they are not clipped, since clipping would undo the equal say.
* rubric part of a team = mean of its reviews' parts; a finalist nobody
  reviewed has none, and counts 0 in the sum below (the page shows it unrated).
* combined = metric_weight * metric + rubric_weight * rubric.

Order: combined, highest first; ties go to the better metric rank, then team name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Criterion:
    key: str
    label: Mapping[str, str]
    weight: float
    description: Mapping[str, str]


@dataclass(frozen=True)
class JudgingSpec:
    """The `judging` section of a bundle, read once."""

    scale_min: float
    scale_max: float
    criteria: tuple[Criterion, ...]
    finalists: int
    metric_weight: float
    rubric_weight: float
    normalise_judges: bool
    scale_labels: tuple[Mapping[str, str], ...] = ()

    @property
    def points(self) -> tuple[int, ...]:
        """The whole numbers a judge picks from, lowest first; empty when they are too many.

        Up to eleven points (0 to 10) read as a row of choices; a wider scale, or one a
        bundle written before the schema required integers might carry, is typed as a number.
        """
        low, high = self.scale_min, self.scale_max
        if low != int(low) or high != int(high) or not 0 < high - low <= 10:
            return ()
        return tuple(range(int(low), int(high) + 1))

    def point_label(self, point: int) -> Mapping[str, str] | None:
        """The bundle's name for a point of the scale, when it gave one per point."""
        index = point - int(self.scale_min)
        if len(self.scale_labels) != len(self.points) or not 0 <= index < len(self.scale_labels):
            return None
        return self.scale_labels[index]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JudgingSpec | None:
        """None when the bundle asks for no judging (the pages then say so)."""
        judging = config.get("judging")
        if not isinstance(judging, Mapping) or not judging.get("rubric"):
            return None
        scale = judging.get("scale") or {}
        combine = judging.get("combine") or {}
        if not combine and not config.get("leaderboard"):
            # A project-only challenge scores nothing: the rubric is the whole ranking.
            combine = {"metric_weight": 0.0, "rubric_weight": 1.0}
        return cls(
            scale_min=float(scale.get("min", 1)),
            scale_max=float(scale.get("max", 5)),
            criteria=tuple(
                Criterion(
                    key=str(c["key"]),
                    label=c.get("label") or {},
                    weight=float(c.get("weight", 1)),
                    description=c.get("description") or {},
                )
                for c in judging["rubric"]
            ),
            finalists=int(judging.get("finalists", 10)),
            metric_weight=float(combine.get("metric_weight", 0.5)),
            rubric_weight=float(combine.get("rubric_weight", 0.5)),
            normalise_judges=bool(combine.get("normalise_judges", True)),
            scale_labels=tuple(
                label for label in scale.get("labels") or () if isinstance(label, Mapping)
            ),
        )


@dataclass(frozen=True)
class Finalist:
    team_id: int
    team_name: str
    rank: int  # the board rank


@dataclass(frozen=True)
class Rating:
    judge_id: int
    team_id: int
    ratings: Mapping[str, float]


@dataclass(frozen=True)
class Ranked:
    position: int
    team_id: int
    team_name: str
    metric_rank: int
    metric: float
    rubric: float | None
    combined: float
    reviews: int


def metric_part(rank: int, n: int) -> float:
    return 1.0 if n <= 1 else 1.0 - (rank - 1) / (n - 1)


def rubric_part(spec: JudgingSpec, ratings: Mapping[str, float]) -> float | None:
    """The review's weighted mean on 0..1; None when it rated no criterion of the rubric."""
    span = spec.scale_max - spec.scale_min
    rated = [c for c in spec.criteria if c.key in ratings]
    total = sum(c.weight for c in rated)
    if not rated or total <= 0 or span <= 0:
        return None
    return sum(c.weight * (ratings[c.key] - spec.scale_min) / span for c in rated) / total


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def normalise(parts: Mapping[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """(judge, team) -> part, each judge z-scored then mapped onto the pooled mean and spread."""
    if not parts:
        return {}
    pooled_mean, pooled_std = _mean_std(list(parts.values()))
    by_judge: dict[int, list[float]] = {}
    for (judge, _team), part in parts.items():
        by_judge.setdefault(judge, []).append(part)
    stats = {judge: _mean_std(values) for judge, values in by_judge.items()}
    result: dict[tuple[int, int], float] = {}
    for (judge, team), part in parts.items():
        mean, std = stats[judge]
        z = (part - mean) / std if std > 1e-12 else 0.0
        result[(judge, team)] = pooled_mean + pooled_std * z
    return result


def combine(
    spec: JudgingSpec, finalists: Sequence[Finalist], ratings: Sequence[Rating]
) -> list[Ranked]:
    """The final ranking of `finalists`; reviews of other teams are ignored."""
    n = len(finalists)
    teams = {f.team_id for f in finalists}
    parts: dict[tuple[int, int], float] = {}
    for rating in ratings:
        part = rubric_part(spec, rating.ratings)
        if rating.team_id in teams and part is not None:
            parts[(rating.judge_id, rating.team_id)] = part
    if spec.normalise_judges:
        parts = normalise(parts)
    per_team: dict[int, list[float]] = {}
    for (_judge, team), part in parts.items():
        per_team.setdefault(team, []).append(part)
    rows = []
    for finalist in finalists:
        team_parts = per_team.get(finalist.team_id, [])
        rubric = sum(team_parts) / len(team_parts) if team_parts else None
        metric = metric_part(finalist.rank, n)
        combined = spec.metric_weight * metric + spec.rubric_weight * (rubric or 0.0)
        rows.append((finalist, metric, rubric, combined, len(team_parts)))
    rows.sort(key=lambda r: (-r[3], r[0].rank, r[0].team_name))
    return [
        Ranked(
            position=i,
            team_id=f.team_id,
            team_name=f.team_name,
            metric_rank=f.rank,
            metric=metric,
            rubric=rubric,
            combined=combined,
            reviews=count,
        )
        for i, (f, metric, rubric, combined, count) in enumerate(rows, start=1)
    ]
