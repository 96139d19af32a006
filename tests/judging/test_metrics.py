"""Built-in metrics against scikit-learn (the reference participants use) and hand-worked cases."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from sklearn import metrics as sk

from judging.scorer.metrics import METRICS, MetricError, average_ranks

pytestmark = pytest.mark.unit  # needs no service: `make unit`

RNG = np.random.default_rng(20260101)
Y_TRUE = RNG.normal(20.0, 3.0, size=40)
Y_PRED = Y_TRUE + RNG.normal(0.0, 1.0, size=40)
LABELS_TRUE = [str(v) for v in RNG.choice(["calm", "rough", "storm"], size=50)]
LABELS_PRED = [v if RNG.random() < 0.6 else "calm" for v in LABELS_TRUE]
# Scores with many ties, so the rank statistic's tie handling matters.
BIN_TRUE = [str(v) for v in RNG.integers(0, 2, size=60)]
BIN_SCORE = [round(float(v), 1) for v in RNG.random(60)]


def compute(
    name: str, y_true: Sequence[object], y_pred: Sequence[object], **params: object
) -> float:
    return METRICS[name].compute(y_true, y_pred, params)


@pytest.mark.parametrize(
    ("name", "oracle"),
    [
        ("rmse", lambda t, p: math.sqrt(sk.mean_squared_error(t, p))),
        ("mae", sk.mean_absolute_error),
        ("mape", sk.mean_absolute_percentage_error),
        ("r2", sk.r2_score),
        ("pinball_loss", lambda t, p: sk.mean_pinball_loss(t, p, alpha=0.5)),
    ],
)
def test_regression_metrics_match_sklearn(name: str, oracle: object) -> None:
    assert callable(oracle)
    got = compute(name, list(Y_TRUE), list(Y_PRED))
    assert got == pytest.approx(oracle(Y_TRUE, Y_PRED), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.1, 0.9])
def test_pinball_loss_uses_alpha(alpha: float) -> None:
    expected = sk.mean_pinball_loss(Y_TRUE, Y_PRED, alpha=alpha)
    assert compute("pinball_loss", list(Y_TRUE), list(Y_PRED), alpha=alpha) == pytest.approx(
        expected, rel=1e-12
    )


def test_pinball_loss_by_hand() -> None:
    # Under-prediction by 2 costs alpha*2, over-prediction by 1 costs (1-alpha)*1.
    assert compute("pinball_loss", [10.0, 10.0], [8.0, 11.0], alpha=0.9) == pytest.approx(
        (0.9 * 2 + 0.1 * 1) / 2
    )


@pytest.mark.parametrize(
    ("name", "oracle"),
    [
        ("accuracy", sk.accuracy_score),
        ("balanced_accuracy", sk.balanced_accuracy_score),
        ("f1_macro", lambda t, p: sk.f1_score(t, p, average="macro", zero_division=0)),
    ],
)
def test_label_metrics_match_sklearn(name: str, oracle: object) -> None:
    assert callable(oracle)
    got = compute(name, list(LABELS_TRUE), list(LABELS_PRED))
    assert got == pytest.approx(oracle(LABELS_TRUE, LABELS_PRED), rel=1e-12)


def test_f1_macro_counts_a_predicted_class_absent_from_the_truth() -> None:
    t, p = ["a", "a", "b"], ["a", "c", "b"]
    assert compute("f1_macro", t, p) == pytest.approx(
        sk.f1_score(t, p, average="macro", zero_division=0)
    )
    # a: P=1, R=1/2 -> 2/3; b: 1; c: 0 -> mean 5/9.
    assert compute("f1_macro", t, p) == pytest.approx(5 / 9)


def test_labels_are_exact_strings() -> None:
    assert compute("accuracy", ["1", "1"], ["1", "1.0"]) == 0.5


def test_roc_auc_matches_sklearn_with_ties() -> None:
    truth = [int(v) for v in BIN_TRUE]
    assert compute("roc_auc", list(BIN_TRUE), list(BIN_SCORE)) == pytest.approx(
        sk.roc_auc_score(truth, BIN_SCORE), rel=1e-12
    )


def test_roc_auc_by_hand_and_positive_label() -> None:
    # Positives 0.8 and 0.4, negatives 0.4 and 0.1: pairs won 1 + 1 + 0.5 (tie) + 1 = 3.5 of 4.
    t, s = ["yes", "yes", "no", "no"], [0.8, 0.4, 0.4, 0.1]
    assert compute("roc_auc", t, s, positive="yes") == pytest.approx(3.5 / 4)
    assert compute("roc_auc", t, s, positive="no") == pytest.approx(0.5 / 4)


def test_roc_auc_with_one_class_is_an_error() -> None:
    with pytest.raises(MetricError, match="only one class"):
        compute("roc_auc", ["1", "1"], [0.2, 0.3])


def test_average_ranks_share_ties() -> None:
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_log_loss_matches_sklearn_and_clips() -> None:
    truth = [int(v) for v in BIN_TRUE]
    assert compute("log_loss", list(BIN_TRUE), list(BIN_SCORE)) == pytest.approx(
        sk.log_loss(truth, np.clip(BIN_SCORE, 1e-15, 1 - 1e-15)), rel=1e-9
    )
    # A certain, wrong answer costs -log(1e-15), not infinity.
    assert compute("log_loss", ["1"], [0.0]) == pytest.approx(-math.log(1e-15))


def test_r2_of_constant_truth_follows_sklearn() -> None:
    assert compute("r2", [2.0, 2.0], [2.0, 2.0]) == 1.0
    assert compute("r2", [2.0, 2.0], [1.0, 2.0]) == 0.0


def test_empty_part_and_bad_params_are_errors() -> None:
    with pytest.raises(MetricError):
        compute("rmse", [], [])
    with pytest.raises(MetricError, match="alpha"):
        compute("pinball_loss", [1.0], [1.0], alpha=1.5)


def test_every_metric_the_issue_promises_is_built_in() -> None:
    promised = {"rmse", "mae", "mape", "r2", "accuracy", "balanced_accuracy", "f1_macro"}
    promised |= {"roc_auc", "log_loss", "pinball_loss"}
    assert promised <= set(METRICS)
