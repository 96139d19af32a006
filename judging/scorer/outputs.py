"""Read the hidden reference and check a predictions CSV against it.

Runs inside the scoring container, next to the answers, so the worker never
parses them. The two readers differ in who is told when something is wrong: a
bad predictions file is the team's to fix (`InvalidPredictions`, naming the
first offending line of *their* file), a bad reference file is the organisers'
(`ReferenceProblem`). Checks stop at the first problem: one precise message
helps a participant more than a list of a thousand.

Rules for predictions: UTF-8 (a leading BOM is allowed), a header naming the id
column and the prediction column (other columns are ignored), every row as many
fields as the header, every test id exactly once and no other id, and values of
the kind the leaderboard's metrics need (finite numbers, probabilities in
[0, 1], or non-empty labels). Blank lines are ignored. Ids and values are
compared after stripping surrounding spaces.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .wording import Said, english, said

PUBLIC = "public"
PRIVATE = "private"
SPLITS = (PUBLIC, PRIVATE)
KINDS = ("number", "probability", "label")
_BOM = b"\xef\xbb\xbf"


class InvalidPredictions(ValueError):
    """The team's file is wrong; `line` is 1-based in their file, None when no line is to blame."""

    def __init__(self, problem: Said, line: int | None = None) -> None:
        self.message = english(problem)
        super().__init__(self.message)
        self.problem = problem
        self.line = line


class ReferenceProblem(ValueError):
    """The organisers' reference data cannot be scored against; the team is not to blame."""


@dataclass(frozen=True)
class Reference:
    """The answers: each id's truth and part of the test set, in file order."""

    ids: tuple[str, ...]
    truth: dict[str, str]
    split: dict[str, str]


# What a file that is not text most often is, by its first bytes: telling the team "this is a
# ZIP archive" helps more than "line 1 is not UTF-8". Only consulted once decoding has failed.
_NOT_TEXT = (
    (b"PK\x03\x04", "kind.zip"),
    (b"PK\x05\x06", "kind.empty_zip"),
    (b"\x1f\x8b", "kind.gzip"),
    (b"\xd0\xcf\x11\xe0", "kind.xls"),
    (b"PAR1", "kind.parquet"),
    (b"\x89PNG", "kind.png"),
    (b"\xff\xd8\xff", "kind.jpeg"),
    (b"GIF8", "kind.gif"),
    (b"%PDF", "kind.pdf"),
    (b"MZ", "kind.windows"),
    (b"\x7fELF", "kind.linux"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _decode(data: bytes) -> str:
    """The text, or the line of the first byte that is not UTF-8."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith(_UTF16_BOMS):
            raise InvalidPredictions(said("predictions.utf16")) from exc
        kind = next((what for magic, what in _NOT_TEXT if data.startswith(magic)), None)
        if kind is not None:
            raise InvalidPredictions(said("predictions.not_text", kind=said(kind))) from exc
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidPredictions(said("predictions.not_utf8", line=line), line) from exc


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # Report where the broken record starts (an unclosed quote fails at the end).
            if "field larger than field limit" in str(exc):
                raise InvalidPredictions(
                    said("predictions.field_too_long", line=start, limit=csv.field_size_limit()),
                    start,
                ) from exc
            raise InvalidPredictions(
                said("predictions.not_csv", line=start, error=str(exc)), start
            ) from exc
        if row and any(field.strip() for field in row):
            yield start, row
        start = reader.line_num + 1


def _header(records: Iterator[tuple[int, list[str]]], required: tuple[str, ...]) -> dict[str, int]:
    first = next(records, None)
    if first is None:
        raise InvalidPredictions(said("predictions.empty", columns=", ".join(required)), 1)
    line, names = first
    names = [n.strip() for n in names]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidPredictions(
                said("predictions.column_twice", line=line, name=repr(name)), line
            )
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        hint = _delimiter_hint(names, required)
        raise InvalidPredictions(
            said(
                "predictions.no_column",
                line=line,
                name=repr(missing[0]),
                columns=", ".join(required),
                found=", ".join(names) or said("predictions.nothing"),
                hint="" if hint is None else hint,
            ),
            line,
        )
    return {name: i for i, name in enumerate(names)}


_OTHER_DELIMITERS: tuple[tuple[str, str | Said], ...] = (
    (";", "';'"),
    ("\t", said("predictions.tabs")),
    ("|", "'|'"),
)


def _delimiter_hint(names: list[str], required: tuple[str, ...]) -> Said | None:
    """Why the header may look wrong: a spreadsheet that separated fields with something else."""
    if len(names) != 1:
        return None
    for delimiter, label in _OTHER_DELIMITERS:
        if all(c in [n.strip() for n in names[0].split(delimiter)] for c in required):
            return said("predictions.delimiter", label=label)
    return None


def check_value(value: str, kind: str) -> Said | None:
    """Why `value` is not of `kind`, or None when it is."""
    if value == "":
        return said("value.empty")
    if kind == "label":
        return None
    try:
        number = float(value)
    except ValueError:
        return said("value.not_number", value=repr(value))
    if not math.isfinite(number):
        return said("value.not_finite", value=repr(value))
    if kind == "probability" and not 0.0 <= number <= 1.0:
        return said("value.not_probability", value=repr(value))
    return None


def read_predictions(
    data: bytes, reference: Reference, *, id_column: str, prediction_column: str, kind: str
) -> dict[str, str]:
    """Each test id's prediction, or `InvalidPredictions` for the first thing wrong."""
    records = _records(_decode(data))
    columns = _header(records, (id_column, prediction_column))
    width = len(columns)
    id_at, value_at = columns[id_column], columns[prediction_column]
    predictions: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, row in records:
        if len(row) != width:
            raise InvalidPredictions(
                said("predictions.width", line=line, fields=len(row), width=width), line
            )
        row_id = row[id_at].strip()
        if row_id not in reference.truth:
            raise InvalidPredictions(
                said("predictions.unknown_id", line=line, id=repr(row_id)), line
            )
        if row_id in predictions:
            first = first_line[row_id]
            raise InvalidPredictions(
                said("predictions.repeated_id", line=line, id=repr(row_id), first=first), line
            )
        value = row[value_at].strip()
        problem = check_value(value, kind)
        if problem is not None:
            raise InvalidPredictions(
                said(
                    "predictions.bad_value",
                    line=line,
                    column=repr(prediction_column),
                    id=repr(row_id),
                    problem=problem,
                ),
                line,
            )
        predictions[row_id] = value
        first_line[row_id] = line
    missing = [i for i in reference.ids if i not in predictions]
    if missing:
        raise InvalidPredictions(
            said(
                "predictions.missing_ids",
                missing=len(missing),
                total=len(reference.ids),
                first=repr(missing[0]),
            )
        )
    return predictions


def read_reference(
    path: Path, *, id_column: str, target_column: str, split_column: str, kind: str
) -> Reference:
    """The answers file, checked as strictly as predictions; problems are the organisers'."""
    try:
        records = _records(_decode(path.read_bytes()))
        columns = _header(records, (id_column, target_column, split_column))
    except InvalidPredictions as exc:
        raise ReferenceProblem(f"reference file {path.name}: {exc.message}") from exc
    except OSError as exc:
        raise ReferenceProblem(f"reference file {path.name} cannot be read: {exc}") from exc
    ids: list[str] = []
    truth: dict[str, str] = {}
    split: dict[str, str] = {}
    try:
        for line, row in records:
            where = f"reference file {path.name}, line {line}"
            if len(row) != len(columns):
                raise ReferenceProblem(f"{where}: {len(row)} fields, the header has {len(columns)}")
            row_id = row[columns[id_column]].strip()
            part = row[columns[split_column]].strip()
            value = row[columns[target_column]].strip()
            if row_id in truth:
                raise ReferenceProblem(f"{where}: the id {row_id!r} appears twice")
            if part not in SPLITS:
                raise ReferenceProblem(f"{where}: split is {part!r}, not 'public' or 'private'")
            problem = check_value(value, "label" if kind == "label" else "number")
            if problem is not None:
                raise ReferenceProblem(f"{where}: the target {english(problem)}")
            ids.append(row_id)
            truth[row_id] = value
            split[row_id] = part
    except InvalidPredictions as exc:
        raise ReferenceProblem(f"reference file {path.name}: {exc.message}") from exc
    for part in SPLITS:
        if part not in split.values():
            raise ReferenceProblem(f"reference file {path.name} has no {part} rows")
    return Reference(tuple(ids), truth, split)
