"""Placeholders in a bundle's Markdown pages that the site fills with live values.

Pages are written once, in the bundle, but some facts they state can change after loading
(the organisers' phase editor moves a phase's dates). A page says `{{ phase.final.end }}`
instead of a date, and the challenge page writes the phase's current end there, in the
reader's language and the challenge's time zone.

Filling happens on the Markdown source, before rendering and sanitising, so a value can only
ever become text: every Markdown punctuation character in it is backslash-escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.text.words import N_, Words

# Wider than the valid names, so that a misspelt placeholder is found and reported, not shown.
PLACEHOLDER = re.compile(r"\{\{\s*phase\.(?P<phase>[^.\s{}]+)\.(?P<field>[^.\s{}]+)\s*\}\}")
FIELDS = ("start", "end")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&\"'=])")


@dataclass(frozen=True)
class Found:
    """One placeholder of a page: where it is (1-based) and what it names."""

    line: int
    column: int
    text: str
    phase: str
    field: str


def find(text: str) -> Iterator[Found]:
    for match in PLACEHOLDER.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        yield Found(line, column, match.group(0), match["phase"], match["field"])


def problem(found: Found, phases: list[str]) -> tuple[Words, Words] | None:
    """(message, hint) when the placeholder names no phase or no field of one."""
    if found.phase not in phases:
        return (
            N_("{placeholder} names no phase of this challenge", placeholder=found.text),
            N_("use one of the phase names of challenge.yaml: {names}", names=", ".join(phases)),
        )
    if found.field not in FIELDS:
        return (
            N_(
                "{placeholder} asks for `{field}` of a phase",
                placeholder=found.text,
                field=found.field,
            ),
            N_(
                "a phase placeholder ends in .start or .end, e.g. {example}",
                example="{{ phase." + found.phase + ".start }}",
            ),
        )
    return None


def escape_markdown(value: str) -> str:
    """`value` as literal text in Markdown: nothing in it can start a link, list or tag."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", value)


def fill(text: str, value_of: Callable[[str, str], str | None]) -> str:
    """Each placeholder replaced by `value_of(phase, field)`, escaped; left as written when that
    is None (a page a validated bundle could not have: better visible than silently empty)."""

    def replace(match: re.Match[str]) -> str:
        value = value_of(match["phase"], match["field"])
        return match.group(0) if value is None else escape_markdown(value)

    return PLACEHOLDER.sub(replace, text)
