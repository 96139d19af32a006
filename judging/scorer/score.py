"""Compute every leaderboard column on the public and the private part of the test set.

This is the built-in scoring program. It answers in the same JSON shape that
organisers' own scoring programs use (see `judging.scores`), so the pipeline
reads both the same way:

    {"public": {column: number}, "private": {column: number}}   scored
    {"invalid": "message for the team", "line": 12}              the team's file is wrong
    {"scoring_error": "message for the organisers"}              the reference or config is wrong
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .metrics import METRICS, MetricError
from .outputs import SPLITS, InvalidPredictions, ReferenceProblem, read_predictions, read_reference


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
        answer: dict[str, Any] = {"invalid": exc.message}
        if exc.line is not None:
            answer["line"] = exc.line
        return answer
    result: dict[str, Any] = {}
    for part in SPLITS:
        ids = [i for i in reference.ids if reference.split[i] == part]
        scores: dict[str, float] = {}
        for column in columns:
            metric = METRICS[column["metric"]]
            y_true = _typed([reference.truth[i] for i in ids], metric.truth)
            y_pred = _typed([predicted[i] for i in ids], metric.prediction)
            try:
                scores[column["key"]] = metric.compute(y_true, y_pred, column.get("params", {}))
            except MetricError as exc:
                return {"scoring_error": f"column {column['key']!r} on the {part} part: {exc}"}
        result[part] = scores
    return result
