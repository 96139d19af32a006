"""What the built-in scorer tells a team about its file, as message ids and parameters.

The scorer runs in the scoring container and may import only itself, so its English
templates live here rather than in `judging.messages`, which adds them to its table. A
problem travels as {"id": ..., "params": {...}} (a parameter may itself be such a problem),
so the site can say it in the team's language; `english` is what the JSON's "invalid" says.
"""

from __future__ import annotations

from typing import Any

Said = dict[str, Any]


def N_(text: str) -> str:
    """Marks a template for extraction by `pybabel extract`."""
    return text


PROBLEMS: dict[str, str] = {
    "predictions.utf16": N_(
        "the file is saved as UTF-16 text; save the file as UTF-8 "
        "(in Excel: 'CSV UTF-8'), with commas between fields"
    ),
    "predictions.not_text": N_(
        "the file is {kind}, not CSV text; upload the CSV file itself, "
        "saved as UTF-8 text with commas between fields"
    ),
    "kind.zip": N_("a ZIP archive (or an .xlsx/.ods spreadsheet)"),
    "kind.empty_zip": N_("an empty ZIP archive"),
    "kind.gzip": N_("a gzip-compressed file"),
    "kind.xls": N_("an old Excel (.xls) or Word file"),
    "kind.parquet": N_("a Parquet file"),
    "kind.png": N_("a PNG image"),
    "kind.jpeg": N_("a JPEG image"),
    "kind.gif": N_("a GIF image"),
    "kind.pdf": N_("a PDF document"),
    "kind.windows": N_("a Windows program"),
    "kind.linux": N_("a Linux program"),
    "predictions.not_utf8": N_("line {line} is not valid UTF-8 text; save the file as UTF-8"),
    "predictions.field_too_long": N_(
        "line {line} has a field longer than {limit} characters; "
        "check for a missing line break or an unclosed quote"
    ),
    "predictions.not_csv": N_("line {line} is not valid CSV ({error})"),
    "predictions.empty": N_(
        "line 1: the file is empty; it needs a header with the columns {columns}"
    ),
    "predictions.column_twice": N_("line {line}: the column {name} appears twice"),
    "predictions.no_column": N_(
        "line {line}: the header has no column {name} (it needs {columns}; found {found}){hint}"
    ),
    "predictions.nothing": N_("nothing"),
    "predictions.delimiter": N_(
        "; the fields seem to be separated by {label}: separate them with commas"
    ),
    "predictions.tabs": N_("tabs"),
    "predictions.width": N_("line {line} has {fields} fields but the header has {width}"),
    "predictions.unknown_id": N_("line {line}: the id {id} is not in the test set"),
    "predictions.repeated_id": N_("line {line}: the id {id} appears again (first on line {first})"),
    "predictions.bad_value": N_("line {line}: the {column} value for id {id} {problem}"),
    "value.empty": N_("is empty"),
    "value.not_number": N_("{value} is not a number"),
    "value.not_finite": N_("{value} is not a finite number"),
    "value.not_probability": N_("{value} is not a probability between 0 and 1"),
    "predictions.missing_ids": N_(
        "{missing} of the {total} test ids have no prediction; the first missing is {first}"
    ),
    "predictions.too_large": N_(
        "the {column} score is not a finite number: some predictions are too large to score "
        "(the largest is {value}, for id {id}); predict values on the scale of the target"
    ),
}


def said(key: str, /, **params: Any) -> Said:
    if key not in PROBLEMS:
        raise KeyError(f"no problem template {key!r}")
    return {"id": key, "params": params}


def english(problem: Said) -> str:
    params = problem["params"]
    values = {k: english(v) if isinstance(v, dict) else str(v) for k, v in params.items()}
    return PROBLEMS[problem["id"]].format_map(values)
