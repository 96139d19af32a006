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

PUBLIC = "public"
PRIVATE = "private"
SPLITS = (PUBLIC, PRIVATE)
KINDS = ("number", "probability", "label")
_BOM = b"\xef\xbb\xbf"


class InvalidPredictions(ValueError):
    """The team's file is wrong; `line` is 1-based in their file, None when no line is to blame."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
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
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx/.ods spreadsheet)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"PAR1", "a Parquet file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
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
            raise InvalidPredictions(
                "the file is saved as UTF-16 text; save the file as UTF-8 "
                "(in Excel: 'CSV UTF-8'), with commas between fields"
            ) from exc
        kind = next((what for magic, what in _NOT_TEXT if data.startswith(magic)), None)
        if kind is not None:
            raise InvalidPredictions(
                f"the file is {kind}, not CSV text; upload the CSV file itself, "
                "saved as UTF-8 text with commas between fields"
            ) from exc
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidPredictions(
            f"line {line} is not valid UTF-8 text; save the file as UTF-8", line
        ) from exc


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
                    f"line {start} has a field longer than {csv.field_size_limit()} characters; "
                    "check for a missing line break or an unclosed quote",
                    start,
                ) from exc
            raise InvalidPredictions(f"line {start} is not valid CSV ({exc})", start) from exc
        if row and any(field.strip() for field in row):
            yield start, row
        start = reader.line_num + 1


def _header(records: Iterator[tuple[int, list[str]]], required: tuple[str, ...]) -> dict[str, int]:
    first = next(records, None)
    if first is None:
        raise InvalidPredictions(
            f"line 1: the file is empty; it needs a header with the columns {', '.join(required)}",
            1,
        )
    line, names = first
    names = [n.strip() for n in names]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidPredictions(f"line {line}: the column {name!r} appears twice", line)
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        raise InvalidPredictions(
            f"line {line}: the header has no column {missing[0]!r} "
            f"(it needs {', '.join(required)}; found {', '.join(names) or 'nothing'})"
            f"{_delimiter_hint(names, required)}",
            line,
        )
    return {name: i for i, name in enumerate(names)}


_OTHER_DELIMITERS = ((";", "';'"), ("\t", "tabs"), ("|", "'|'"))


def _delimiter_hint(names: list[str], required: tuple[str, ...]) -> str:
    """Why the header may look wrong: a spreadsheet that separated fields with something else."""
    if len(names) != 1:
        return ""
    for delimiter, label in _OTHER_DELIMITERS:
        if all(c in [n.strip() for n in names[0].split(delimiter)] for c in required):
            return f"; the fields seem to be separated by {label}: separate them with commas"
    return ""


def check_value(value: str, kind: str) -> str | None:
    """Why `value` is not of `kind`, or None when it is."""
    if value == "":
        return "is empty"
    if kind == "label":
        return None
    try:
        number = float(value)
    except ValueError:
        return f"{value!r} is not a number"
    if not math.isfinite(number):
        return f"{value!r} is not a finite number"
    if kind == "probability" and not 0.0 <= number <= 1.0:
        return f"{value!r} is not a probability between 0 and 1"
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
                f"line {line} has {len(row)} fields but the header has {width}", line
            )
        row_id = row[id_at].strip()
        if row_id not in reference.truth:
            raise InvalidPredictions(f"line {line}: the id {row_id!r} is not in the test set", line)
        if row_id in predictions:
            first = first_line[row_id]
            raise InvalidPredictions(
                f"line {line}: the id {row_id!r} appears again (first on line {first})", line
            )
        value = row[value_at].strip()
        problem = check_value(value, kind)
        if problem is not None:
            raise InvalidPredictions(
                f"line {line}: the {prediction_column!r} value for id {row_id!r} {problem}", line
            )
        predictions[row_id] = value
        first_line[row_id] = line
    missing = [i for i in reference.ids if i not in predictions]
    if missing:
        raise InvalidPredictions(
            f"{len(missing)} of the {len(reference.ids)} test ids have no prediction; "
            f"the first missing is {missing[0]!r}"
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
                raise ReferenceProblem(f"{where}: the target {problem}")
            ids.append(row_id)
            truth[row_id] = value
            split[row_id] = part
    except InvalidPredictions as exc:
        raise ReferenceProblem(f"reference file {path.name}: {exc.message}") from exc
    for part in SPLITS:
        if part not in split.values():
            raise ReferenceProblem(f"reference file {path.name} has no {part} rows")
    return Reference(tuple(ids), truth, split)
