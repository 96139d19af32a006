"""A metric that overflows on finite values blames whoever's values overflowed it.

The catalogue's "1e308" row shows the team's side through the whole pipeline; here the
built-in scoring program is called directly to pin down both sides of the split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from judging.scorer.score import score

# numpy says so when a metric overflows; that is the situation under test.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

CONFIG = {
    "reference_file": "answers.csv",
    "id_column": "id",
    "target_column": "sst",
    "prediction_column": "sst",
    "split_column": "split",
    "columns": [{"key": "rmse", "metric": "rmse"}, {"key": "r2", "metric": "r2"}],
}


def scored(tmp_path: Path, truth: tuple[str, str, str, str], guess: tuple[str, ...]) -> Any:
    ids = ("a", "b", "c", "d")
    splits = ("public", "public", "private", "private")
    rows = "".join(f"{i},{t},{s}\n" for i, t, s in zip(ids, truth, splits, strict=True))
    (tmp_path / "answers.csv").write_text("id,sst,split\n" + rows)
    predictions = tmp_path / "predictions.csv"
    predictions.write_text(
        "id,sst\n" + "".join(f"{i},{g}\n" for i, g in zip(ids, guess, strict=True))
    )
    return score(CONFIG, predictions, tmp_path)


def test_huge_predictions_are_the_teams_to_fix(tmp_path: Path) -> None:
    answer = scored(tmp_path, ("1", "2", "3", "4"), ("1", "-1.5e308", "3", "4"))

    assert set(answer) == {"invalid", "invalid_message"}  # English, and its id for the site
    said = str(answer["invalid_message"])
    assert "public" not in said and "private" not in said and "inf" not in said
    assert "the 'rmse' score is not a finite number" in answer["invalid"]
    assert "the largest is '-1.5e308', for id 'b'" in answer["invalid"]
    # The team is not told which part overflowed: that would say which ids are private.
    assert "public" not in answer["invalid"] and "inf" not in answer["invalid"]


def test_huge_reference_values_are_the_organisers_to_fix(tmp_path: Path) -> None:
    answer = scored(tmp_path, ("1e200", "2e200", "3", "4"), ("0", "0", "3", "4"))

    assert set(answer) == {"scoring_error"}
    # The organisers' text may say where: the whole set overflows before any part is scored.
    assert "'rmse' score on the whole test set is inf" in answer["scoring_error"]


def test_finite_scores_are_untouched(tmp_path: Path) -> None:
    answer = scored(tmp_path, ("1", "2", "3", "4"), ("1", "2", "3", "5"))

    assert answer["public"] == {"rmse": 0.0, "r2": 1.0}
    assert answer["private"]["rmse"] == 0.5**0.5
