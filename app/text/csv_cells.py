"""CSV cells a spreadsheet shows as text and never runs.

Excel, LibreOffice and Google Sheets take a cell that starts with = + - @ (or a tab or
carriage return) for a formula, so a file name like `=HYPERLINK(...)` typed by a team would
run when an organiser opens an export ("CSV injection", OWASP). Such text cells get a leading
apostrophe, which spreadsheets hide; numbers, even negative ones, are left as they are.
"""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value
