"""Predictions validation: every kind of wrong file is refused, naming the first offending line."""

from __future__ import annotations

from pathlib import Path

import pytest

from judging.scorer.outputs import (
    InvalidPredictions,
    Reference,
    ReferenceProblem,
    read_predictions,
    read_reference,
)

pytestmark = pytest.mark.unit  # needs no service: `make unit`

REFERENCE = "id,sst,split\na,10.0,public\nb,11.0,public\nc,12.0,private\n"


@pytest.fixture
def reference(tmp_path: Path) -> Reference:
    path = tmp_path / "answers.csv"
    path.write_text(REFERENCE)
    return read_reference(
        path, id_column="id", target_column="sst", split_column="split", kind="number"
    )


def predictions(data: bytes | str, reference: Reference, kind: str = "number") -> dict[str, str]:
    raw = data.encode() if isinstance(data, str) else data
    return read_predictions(raw, reference, id_column="id", prediction_column="sst", kind=kind)


def test_a_good_file_gives_every_prediction(reference: Reference) -> None:
    got = predictions("\ufeffid,other,sst\r\nc,x,3\r\n\r\na,y, 1.5 \r\nb,z,2\r\n", reference)
    assert got == {"a": "1.5", "b": "2", "c": "3"}


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"id,sst\na,1\nb,\xff\xfe\nc,3\n", 3, "UTF-8"),
        ("", 1, "empty"),
        ("id,prediction\na,1\n", 1, "no column 'sst'"),
        ("id,sst,sst\na,1,1\n", 1, "appears twice"),
        ("id,sst\na,1\nb,2,9\nc,3\n", 3, "3 fields"),
        ("id,sst\na,1\nzz,2\nc,3\n", 3, "'zz' is not in the test set"),
        ("id,sst\na,1\nb,2\na,4\nc,3\n", 4, "first on line 2"),
        ("id,sst\na,1\nb,nan\nc,3\n", 3, "not a finite number"),
        ("id,sst\na,1\nb,2\nc,-inf\n", 4, "not a finite number"),
        ("id,sst\na,1\nb,warm\nc,3\n", 3, "not a number"),
        ("id,sst\na,1\nb,\nc,3\n", 3, "is empty"),
        ('id,sst\na,1\n"b,2\nc,3\n', 3, "not valid CSV"),
    ],
)
def test_each_invalid_kind_names_the_first_offending_line(
    reference: Reference, content: bytes | str, line: int, words: str
) -> None:
    with pytest.raises(InvalidPredictions) as caught:
        predictions(content, reference)
    assert caught.value.line == line
    assert words in caught.value.message
    assert f"line {line}" in caught.value.message


def test_missing_ids_name_the_first_missing(reference: Reference) -> None:
    with pytest.raises(InvalidPredictions) as caught:
        predictions("id,sst\nc,3\n", reference)
    assert caught.value.line is None
    assert "2 of the 3 test ids" in caught.value.message
    assert "'a'" in caught.value.message


def test_probabilities_must_lie_between_zero_and_one(reference: Reference) -> None:
    with pytest.raises(InvalidPredictions) as caught:
        predictions("id,sst\na,0.5\nb,1.2\nc,0\n", reference, kind="probability")
    assert caught.value.line == 3
    assert "probability" in caught.value.message


def test_labels_need_only_be_non_empty(reference: Reference) -> None:
    assert predictions("id,sst\na,calm\nb,storm\nc,1\n", reference, kind="label")["b"] == "storm"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("id,sst,split\na,1,public\na,2,private\n", "appears twice"),
        ("id,sst,split\na,1,public\nb,2,secret\n", "'secret'"),
        ("id,sst,split\na,1,public\nb,2,public\n", "no private rows"),
        ("id,sst,split\na,1,public\nb,,private\n", "target is empty"),
        ("id,split\na,public\n", "no column 'sst'"),
    ],
)
def test_reference_problems_are_the_organisers(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(content)
    with pytest.raises(ReferenceProblem, match=words):
        read_reference(
            path, id_column="id", target_column="sst", split_column="split", kind="number"
        )
