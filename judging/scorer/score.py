"""Compute every leaderboard column on the public and the private part of the test set.

This is the built-in scoring program. It answers in the same JSON shape that
organisers' own scoring programs use (see `judging.scores`), so the pipeline
reads both the same way:

    {"public": {column: number}, "private": {column: number}}   scored
    {"invalid": "message for the team", "line": 12,               the team's file is wrong
     "invalid_message": {"id": ..., "params": {...}}}               (the same, to translate)
    {"scoring_error": "message for the organisers"}              the reference or config is wrong

An "invalid" message is read by the team, so it never names a part, counts rows per part or
depends on the order in which parts are scored: it reads the same whichever part the rows at
fault are in (tests/judging/test_split_blind_messages.py holds every case to that). The
"scoring_error" text is the organisers' and may name the part.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .metrics import METRICS, Metric, MetricError
from .outputs import SPLITS, InvalidPredictions, ReferenceProblem, read_predictions, read_reference
from .wording import english, said


def _kinds(columns: list[Mapping[str, Any]]) -> tuple[str, str]:
    """What the truth and the predictions must be parsed as, to serve every column."""
    metrics = [METRICS[c["metric"]] for c in columns]
    truth = "number" if any(m.truth == "number" for m in metrics) else "label"
    wanted = {m.prediction for m in metrics}
    prediction = next(k for k in ("probability", "number", "label") if k in wanted)
    return truth, prediction


def _typed(values: list[str], kind: str) -> list[object]:
    return list(values) if kind == "label" else [float(v) for v in values]


def score(config: Mapping[str, Any], predictions: Path, reference_dir: Path) -> dict[str, Any]:
    """The answer object for one predictions file; never raises for bad data, only for bugs."""
    columns: list[Mapping[str, Any]] = list(config["columns"])
    unknown = [c["metric"] for c in columns if c["metric"] not in METRICS]
    if unknown:
        return {"scoring_error": f"unknown built-in metric {unknown[0]!r}"}
    truth_kind, prediction_kind = _kinds(columns)
    try:
        reference = read_reference(
            reference_dir / config["reference_file"],
            id_column=config["id_column"],
            target_column=config["target_column"],
            split_column=config["split_column"],
            kind=truth_kind,
        )
    except ReferenceProblem as exc:
        return {"scoring_error": str(exc)}
    try:
        predicted = read_predictions(
            predictions.read_bytes(),
            reference,
            id_column=config["id_column"],
            prediction_column=config["prediction_column"],
            kind=prediction_kind,
        )
    except InvalidPredictions as exc:
        answer: dict[str, Any] = {"invalid": exc.message, "invalid_message": exc.problem}
        if exc.line is not None:
            answer["line"] = exc.line
        return answer
    overflow = _overflow(columns, reference.ids, reference.truth, predicted)
    if overflow is not None:
        return overflow
    result: dict[str, Any] = {}
    for part in SPLITS:
        ids = [i for i in reference.ids if reference.split[i] == part]
        scores: dict[str, float] = {}
        for column in columns:
            metric = METRICS[column["metric"]]
            y_true = _typed([reference.truth[i] for i in ids], metric.truth)
            y_pred = _typed([predicted[i] for i in ids], metric.prediction)
            try:
                value = metric.compute(y_true, y_pred, column.get("params", {}))
            except MetricError as exc:
                return {"scoring_error": f"column {column['key']!r} on the {part} part: {exc}"}
            if not math.isfinite(value):
                return _not_finite(column, f"on the {part} part", metric, y_true, predicted, value)
            scores[column["key"]] = value
        result[part] = scores
    return result


def _overflow(
    columns: list[Mapping[str, Any]],
    ids: tuple[str, ...],
    truth: Mapping[str, str],
    predicted: dict[str, str],
) -> dict[str, Any] | None:
    """A numeric metric that is not finite on the whole test set, checked before any part.

    Why the whole set first: whether values overflow a sum depends on which rows are summed
    together. Two predictions of 1e154 overflow an RMSE when they are in the same part and not
    when they are in different parts, so judging part by part would let a team learn whether
    two ids share a part. The error sums over the whole set are at least those over each part
    (their terms are never negative), so a part that would overflow makes the whole set
    overflow too, and the answer no longer depends on the split. (A part can still overflow
    alone where a metric divides by something of that part, r2 on a part whose truth barely
    varies; its message to the team is the same.)
    """
    for column in columns:
        metric = METRICS[column["metric"]]
        if not metric.truth == metric.prediction == "number":
            continue  # labels and ranks do not overflow
        y_true = _typed([truth[i] for i in ids], metric.truth)
        y_pred = _typed([predicted[i] for i in ids], metric.prediction)
        try:
            value = metric.compute(y_true, y_pred, column.get("params", {}))
        except MetricError:
            continue  # the per-part pass reports it to the organisers
        if not math.isfinite(value):
            return _not_finite(column, "on the whole test set", metric, y_true, predicted, value)
    return None


def _not_finite(
    column: Mapping[str, Any],
    where: str,
    metric: Metric,
    y_true: list[object],
    predicted: dict[str, str],
    value: float,
) -> dict[str, Any]:
    """Who is to blame for a metric that overflowed although every value was finite.

    The team, when predicting zero everywhere scores a finite number: then their values
    (1e308, say) are what overflowed, and they can fix that. When even zeros overflow, the
    reference's values are too large, which is for the organisers to fix.

    The team's message names neither a part nor the score's value, and its "largest
    prediction" is the largest of the whole file (`predicted` holds every id), so it reads
    the same whichever part the offending rows are in. `where` is for the organisers only.
    """
    detail = f"the {column['key']!r} score {where} is {value}, not a finite number"
    if metric.truth == metric.prediction == "number":
        modest = metric.compute(y_true, [0.0] * len(y_true), column.get("params", {}))
        if math.isfinite(modest):
            row_id = max(predicted, key=lambda i: abs(float(predicted[i])))
            problem = said(
                "predictions.too_large",
                column=repr(column["key"]),
                value=repr(predicted[row_id]),
                id=repr(row_id),
            )
            return {"invalid": english(problem), "invalid_message": problem}
    return {"scoring_error": detail}
