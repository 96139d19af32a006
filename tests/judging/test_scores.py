"""The scores JSON contract shared by the built-in scorer and organisers' programs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judging.failures import Category, Failure
from judging.scores import read_scores

pytestmark = pytest.mark.unit  # needs no service: `make unit`

KEYS = ("rmse", "mae")


def answer(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "scores.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_public_and_private_scores_are_read(tmp_path: Path) -> None:
    content = {"public": {"rmse": 1, "mae": 0.5}, "private": {"rmse": 2.0, "mae": 1.5}}
    assert read_scores(answer(tmp_path, content), KEYS) == {
        "public": {"rmse": 1.0, "mae": 0.5},
        "private": {"rmse": 2.0, "mae": 1.5},
    }


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"public": {"rmse": 1, "mae": 1, "rsme": 1}, "private": {"rmse": 1, "mae": 1}}, "rsme"),
        ({"rmse": 1.0, "mae": 1.0}, "split into public and private"),
        ({"public": {"rmse": 1}, "private": {"rmse": 1, "mae": 1}}, "lacks"),
        ({"public": {"rmse": "1", "mae": 1}, "private": {"rmse": 1, "mae": 1}}, "not a number"),
        ({"public": {"rmse": True, "mae": 1}, "private": {"rmse": 1, "mae": 1}}, "not a number"),
        ('{"public": {"rmse": NaN, "mae": 1}, "private": {"rmse": 1, "mae": 1}}', "finite"),
        ("{not json", "not valid JSON"),
        ([1, 2], "must hold"),
    ],
)
def test_bad_answers_are_scoring_errors(tmp_path: Path, content: object, words: str) -> None:
    got = read_scores(answer(tmp_path, content), KEYS)
    assert isinstance(got, Failure)
    assert got.category is Category.SCORING_ERROR
    assert words in got.detail_text
    assert not got.category.blames_team


def test_no_file_is_a_scoring_error(tmp_path: Path) -> None:
    got = read_scores(tmp_path / "scores.json", KEYS)
    assert isinstance(got, Failure) and got.category is Category.SCORING_ERROR


def test_a_program_may_reject_the_teams_file(tmp_path: Path) -> None:
    got = read_scores(answer(tmp_path, {"invalid": "row for buoy 7 is missing", "line": 9}), KEYS)
    assert isinstance(got, Failure)
    assert got.category is Category.INVALID_OUTPUT
    assert "line 9: row for buoy 7 is missing" in got.message
