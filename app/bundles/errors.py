"""What a bundle check returns: located, fixable errors, never a traceback.

Organisers read these in a terminal, so each error carries the file and the
position an editor can jump to, what is wrong, and how to fix it. The category
lets callers (the web upload form, the loader) group errors without parsing text.

`message` and `hint` are `Words` (app/text/words.py): English text that can also be said in
the reader's language, which the upload page does (`say`) and `--lang it` does in the CLI.
Written as `N_("... {key} ...", key=key)`, so `pybabel extract` finds every template here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.text.words import N_, Words

__all__ = ["N_", "TODO_MARKER", "BundleError", "ErrorCategory", "Words"]

# What `marea challenge import` writes where a person must write the text (a translation, a
# licence); the validator refuses a bundle holding it, with its line and column.
TODO_MARKER = "MAREA-TODO"


class ErrorCategory(StrEnum):
    ARCHIVE = "archive"  # the zip itself: unsafe or oversized members
    SYNTAX = "syntax"  # challenge.yaml is not well-formed YAML
    SCHEMA = "schema"  # a key is unknown, missing, or of the wrong type
    RULE = "rule"  # keys are fine alone but disagree with each other
    FILE = "file"  # a named file is missing, unsafe, too large or malformed


@dataclass(frozen=True)
class BundleError:
    """One problem, located in a file of the bundle (paths relative to its root).

    `in_hidden` marks a file of the hidden files supplied apart from the bundle
    (`--hidden`), whose paths are relative to that folder or zip instead.
    """

    file: str
    line: int | None  # 1-based
    column: int | None  # 1-based
    message: str  # a `Words` wherever the checks build it: English, and sayable in Italian
    hint: str
    category: ErrorCategory = ErrorCategory.SCHEMA
    in_hidden: bool = False

    def where(self) -> str:
        """`file:line:col`, the form editors and terminals turn into links."""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}\n  fix: {self.hint}"
