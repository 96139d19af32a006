"""The built-in metrics, in plain numpy.

They live here, inside the scorer package, because they run inside the scoring
container (which has numpy but not the rest of Marea), never in the worker
process. Every function takes the truth and the predictions of one part of the
test set and returns one float. Definitions follow scikit-learn's, so numbers
match what participants compute locally; where a metric is undefined on the
data (one class only, an empty part) a `MetricError` says why, for organisers.

Labels are compared as exact strings: "1" and "1.0" are different classes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .catalog import SPECS, MetricSpec

Floats = npt.NDArray[np.float64]
Params = Mapping[str, object]
LOG_LOSS_EPS = 1e-15


class MetricError(ValueError):
    """The metric is undefined on this data or was given unusable parameters."""


@dataclass(frozen=True)
class Metric:
    """A metric's reading rules (`catalog.MetricSpec`) and the function that computes it."""

    spec: MetricSpec
    compute: Callable[[Sequence[object], Sequence[object], Params], float]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def truth(self) -> str:
        return self.spec.truth

    @property
    def prediction(self) -> str:
        return self.spec.prediction


def _floats(values: Sequence[object]) -> Floats:
    return np.asarray(values, dtype=np.float64)


def _non_empty(n: int) -> None:
    if n == 0:
        raise MetricError("no rows to score")


def rmse(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    t, p = _floats(y_true), _floats(y_pred)
    _non_empty(t.size)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    t, p = _floats(y_true), _floats(y_pred)
    _non_empty(t.size)
    return float(np.mean(np.abs(t - p)))


def mape(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """A fraction, not a percentage; a zero truth is divided by machine epsilon, as in sklearn."""
    t, p = _floats(y_true), _floats(y_pred)
    _non_empty(t.size)
    denominator = np.maximum(np.abs(t), np.finfo(np.float64).eps)
    return float(np.mean(np.abs(t - p) / denominator))


def r2(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """Constant truth gives 1.0 for a perfect prediction and 0.0 otherwise, as in sklearn."""
    t, p = _floats(y_true), _floats(y_pred)
    _non_empty(t.size)
    residual = float(np.sum((t - p) ** 2))
    total = float(np.sum((t - np.mean(t)) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def pinball_loss(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """Quantile loss for the `alpha` quantile (default 0.5, half the MAE)."""
    alpha = _float_param(params, "alpha", 0.5)
    if not 0.0 < alpha < 1.0:
        raise MetricError(f"pinball_loss needs 0 < alpha < 1, got {alpha}")
    t, p = _floats(y_true), _floats(y_pred)
    _non_empty(t.size)
    diff = t - p
    return float(np.mean(np.maximum(alpha * diff, (alpha - 1.0) * diff)))


def _labels(values: Sequence[object]) -> npt.NDArray[np.str_]:
    return np.asarray([str(v) for v in values], dtype=np.str_)


def accuracy(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    t, p = _labels(y_true), _labels(y_pred)
    _non_empty(t.size)
    return float(np.mean(t == p))


def balanced_accuracy(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """Mean recall over the classes present in the truth."""
    t, p = _labels(y_true), _labels(y_pred)
    _non_empty(t.size)
    recalls = [float(np.mean(p[t == c] == c)) for c in np.unique(t)]
    return float(np.mean(recalls))


def f1_macro(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """Unweighted mean F1 over every class seen in truth or predictions; 0/0 counts as 0."""
    t, p = _labels(y_true), _labels(y_pred)
    _non_empty(t.size)
    scores = []
    for c in np.unique(np.concatenate([t, p])):
        tp = float(np.sum((t == c) & (p == c)))
        fp = float(np.sum((t != c) & (p == c)))
        fn = float(np.sum((t == c) & (p != c)))
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def _binary_truth(y_true: Sequence[object], params: Params) -> npt.NDArray[np.bool_]:
    positive = str(params.get("positive", "1"))
    t = _labels(y_true)
    _non_empty(t.size)
    classes = set(np.unique(t).tolist())
    if positive not in classes and len(classes) > 1:
        raise MetricError(f"the positive label {positive!r} is not among the classes {classes}")
    if len(classes) > 2:
        raise MetricError(f"a binary metric needs two classes, the truth has {len(classes)}")
    return np.asarray(t == positive, dtype=np.bool_)


def average_ranks(values: Floats) -> Floats:
    """1-based ranks, ties sharing the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], sorted_values.size]
    mean_rank = (starts + ends + 1) / 2.0  # mean of starts+1 .. ends
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def roc_auc(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """Binary ROC AUC as the Mann-Whitney statistic; the `positive` label defaults to "1"."""
    positive = _binary_truth(y_true, params)
    n_pos = int(np.sum(positive))
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise MetricError("roc_auc is undefined when the truth has only one class")
    ranks = average_ranks(_floats(y_pred))
    return float((np.sum(ranks[positive]) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def log_loss(y_true: Sequence[object], y_pred: Sequence[object], params: Params) -> float:
    """Binary log loss of the predicted probability of the `positive` label (default "1").

    Probabilities are clipped to [1e-15, 1 - 1e-15] so one confident mistake costs
    a large but finite amount; values outside [0, 1] are refused (validation
    names their line before this runs).
    """
    positive = _binary_truth(y_true, params)
    p = _floats(y_pred)
    if np.any((p < 0.0) | (p > 1.0)):
        raise MetricError("log_loss needs probabilities between 0 and 1")
    p = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return float(-np.mean(np.where(positive, np.log(p), np.log1p(-p))))


def _float_param(params: Params, name: str, default: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MetricError(f"parameter {name!r} must be a number, got {value!r}")
    return float(value)


_FUNCTIONS: dict[str, Callable[[Sequence[object], Sequence[object], Params], float]] = {
    "rmse": rmse,
    "mae": mae,
    "mape": mape,
    "r2": r2,
    "pinball_loss": pinball_loss,
    "accuracy": accuracy,
    "balanced_accuracy": balanced_accuracy,
    "f1_macro": f1_macro,
    "roc_auc": roc_auc,
    "log_loss": log_loss,
}
METRICS: dict[str, Metric] = {name: Metric(spec, _FUNCTIONS[name]) for name, spec in SPECS.items()}
