"""No message a team reads says, or hints, which part of the test set a row is in.

The class of leak: a failure message such as "the score on the private part is inf" tells the
team that the id it broke on purpose is private; so would a message that names a part, counts
rows per part, or depends on which part is scored first, and so would a verdict that depends
on which rows share a part (two huge values overflow a sum only when summed together).

One table, `CASES`: every way a predictions file can be invalid, overflow, be NaN or miss ids,
plus the reference's own faults. Each case names the rows at fault (`x1`, and `x2` where two
rows act together); it is judged by the real built-in scorer in the sandbox once per way of
putting those rows in the parts (`SPLITS`), with everything else the same. The category and
the message the team reads must be the same every time, and must not name a part.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from judging import (
    BuiltinScoring,
    Category,
    ColumnSpec,
    JudgeRequest,
    JudgeResult,
    ScoringSpec,
    judge,
)

pytestmark = pytest.mark.docker

# Four rows whose part never changes, so both parts always have rows; x1 and x2 move.
FIXED = {"f1": "public", "f2": "public", "f3": "private", "f4": "private"}
ORDER = ["f1", "x1", "f3", "f2", "x2", "f4"]  # the parts interleaved, as in a real file
# The row at fault on one side, then the other (x2, a good row, takes the other side).
SWAP = (("public", "private"), ("private", "public"))
# Both moving rows on each side, each alone on each side: every grouping the team could probe.
EVERY_SPLIT = (
    ("public", "public"),
    ("private", "private"),
    ("public", "private"),
    ("private", "public"),
)
NUMBER_TRUTH = {"f1": "14.0", "f2": "15.5", "f3": "13.0", "f4": "16.0", "x1": "17.5", "x2": "12.0"}
NUMBER_GUESS = {"f1": "14.5", "f2": "15.0", "f3": "13.0", "f4": "18.0", "x1": "17.0", "x2": "12.5"}
LABEL_TRUTH = {"f1": "1", "f2": "0", "f3": "1", "f4": "0", "x1": "1", "x2": "0"}
LABEL_GUESS = {"f1": "0.9", "f2": "0.2", "f3": "0.7", "f4": "0.4", "x1": "0.6", "x2": "0.1"}
REGRESSION = (
    ColumnSpec("rmse", "lower", "rmse"),
    ColumnSpec("mae", "lower", "mae"),
    ColumnSpec("r2", "higher", "r2"),
    ColumnSpec("q90", "lower", "pinball_loss", {"alpha": 0.9}),
    ColumnSpec("mape", "lower", "mape"),
)
BINARY = (ColumnSpec("auc", "higher", "roc_auc"), ColumnSpec("loss", "lower", "log_loss"))
SPLIT_WORDS = re.compile(r"\b(public|private)\b", re.IGNORECASE)

Rows = dict[str, str]


def _set(rows: Rows, **values: str) -> Rows:
    return {**rows, **values}


def _without(rows: Rows, *ids: str) -> Rows:
    return {k: v for k, v in rows.items() if k not in ids}


@dataclass(frozen=True)
class Case:
    name: str
    expect: Category
    # The predictions, as id -> value (file order: ORDER, then any extra ids).
    guess: Callable[[Rows], Rows | str]
    says: str = ""  # in the team's message, so the case cannot pass by failing some other way
    binary: bool = False
    truth: Callable[[Rows], Rows] = lambda rows: rows  # the reference's targets
    splits: tuple[tuple[str, str], ...] = SWAP


def _duplicate(rows: Rows) -> str:
    lines = [f"{i},{rows[i]}" for i in ORDER] + [f"x1,{rows['x1']}"]
    return "id,value\n" + "\n".join(lines) + "\n"


def _extra_field(rows: Rows) -> str:
    lines = [f"{i},{rows[i]}" + (",7" if i == "x1" else "") for i in ORDER]
    return "id,value\n" + "\n".join(lines) + "\n"


CASES = [
    Case("nan", Category.INVALID_OUTPUT, lambda g: _set(g, x1="nan"), "not a finite number"),
    Case("inf", Category.INVALID_OUTPUT, lambda g: _set(g, x1="inf"), "not a finite number"),
    Case("minus inf", Category.INVALID_OUTPUT, lambda g: _set(g, x1="-inf"), "not a finite"),
    Case("text", Category.INVALID_OUTPUT, lambda g: _set(g, x1="warm"), "is not a number"),
    Case("empty", Category.INVALID_OUTPUT, lambda g: _set(g, x1=""), "is empty"),
    Case("missing id", Category.INVALID_OUTPUT, lambda g: _without(g, "x1"), "have no prediction"),
    Case(
        "two missing ids",
        Category.INVALID_OUTPUT,
        lambda g: _without(g, "x1", "x2"),
        "2 of the 6 test ids",
        splits=EVERY_SPLIT,
    ),
    Case("duplicate id", Category.INVALID_OUTPUT, _duplicate, "appears again"),
    Case(
        "unknown id",
        Category.INVALID_OUTPUT,
        lambda g: {**_without(g, "x1"), "x9": g["x1"]},
        "is not in the test set",
    ),
    Case("extra field", Category.INVALID_OUTPUT, _extra_field, "fields but the header has"),
    Case("overflow", Category.INVALID_OUTPUT, lambda g: _set(g, x1="1e308"), "too large"),
    Case(
        "negative overflow", Category.INVALID_OUTPUT, lambda g: _set(g, x1="-1.5e308"), "too large"
    ),
    # Each of these squares to 1e308: the sum overflows only when both are summed together,
    # i.e. when they share a part; the verdict must not depend on it.
    Case(
        "overflow together",
        Category.INVALID_OUTPUT,
        lambda g: _set(g, x1="1e154", x2="-1e154"),
        "too large",
        splits=EVERY_SPLIT,
    ),
    Case("probability above 1", Category.INVALID_OUTPUT, lambda g: _set(g, x1="1.5"), "between 0", binary=True),
    Case("probability nan", Category.INVALID_OUTPUT, lambda g: _set(g, x1="nan"), "not a finite", binary=True),
    Case("label missing id", Category.INVALID_OUTPUT, lambda g: _without(g, "x2"), "no prediction", binary=True),
    # The organisers' faults: the team's words are the same fixed sentence, whatever the part.
    Case(
        "huge truth",
        Category.SCORING_ERROR,
        lambda g: g,
        "not your fault",
        truth=lambda t: _set(t, x1="1e200"),
    ),
    Case(
        "huge truth and huge guess",
        Category.SCORING_ERROR,
        lambda g: _set(g, x1="1e200"),
        "not your fault",
        truth=lambda t: _set(t, x2="-1e200"),
        splits=EVERY_SPLIT,
    ),
]  # fmt: skip


def _csv(rows: Rows | str) -> str:
    if isinstance(rows, str):
        return rows
    ids = [i for i in ORDER if i in rows] + [i for i in rows if i not in ORDER]
    return "id,value\n" + "".join(f"{i},{rows[i]}\n" for i in ids)


def _readable(path: Path, text: str | None = None) -> Path:
    if text is None:
        path.mkdir(parents=True)
        path.chmod(0o755)
    else:
        path.write_text(text)
        path.chmod(0o644)
    return path


def _judge(
    case: Case, split: tuple[str, str], runner_image: str, labels: dict[str, str], tmp_path: Path
) -> JudgeResult:
    run = tmp_path / f"{'-'.join(split)}-{uuid.uuid4().hex[:6]}"
    reference = _readable(run / "reference")
    parts = {**FIXED, "x1": split[0], "x2": split[1]}
    truth = case.truth(LABEL_TRUTH if case.binary else NUMBER_TRUTH)
    rows = "".join(f"{i},{truth[i]},{parts[i]}\n" for i in ORDER)
    _readable(reference / "answers.csv", "id,target,split\n" + rows)
    guess = case.guess(LABEL_GUESS if case.binary else NUMBER_GUESS)
    predictions = _readable(run / "predictions.csv", _csv(guess))
    scoring = ScoringSpec(
        columns=BINARY if case.binary else REGRESSION,
        method=BuiltinScoring("answers.csv", "id", "target", "value", "split"),
        reference_dir=reference,
    )
    request = JudgeRequest(predictions, "predictions", runner_image, scoring, labels=labels)
    return judge(request, workdir=run / "work")


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_team_reads_the_same_words_whichever_part_the_rows_are_in(
    case: Case, runner_image: str, labels: dict[str, str], tmp_path: Path
) -> None:
    seen: dict[tuple[str, str], tuple[Category, str]] = {}
    for split in case.splits:
        result = _judge(case, split, runner_image, labels, tmp_path)
        assert result.failure is not None, (case.name, split, result.to_json())
        seen[split] = (result.failure.category, result.message)
        assert result.failure.category is case.expect, (split, result.to_json())
        assert case.says in result.message, (split, result.message)
        assert not SPLIT_WORDS.search(result.message), (split, result.message)
        assert result.scores == {}
    assert len(set(seen.values())) == 1, seen


def test_the_table_covers_every_kind_of_bad_value() -> None:
    """Every way `check_value` and `read_predictions` refuse a file has a row (and both kinds)."""
    names = {c.name for c in CASES}
    for needed in ("nan", "inf", "text", "empty", "missing id", "duplicate id", "unknown id"):
        assert needed in names
    assert {"overflow", "overflow together", "probability above 1"} <= names
    assert any(c.expect is Category.SCORING_ERROR for c in CASES)
    assert all(len(c.splits) >= 2 for c in CASES)
    assert all(c.splits == EVERY_SPLIT for c in CASES if "together" in c.name)
