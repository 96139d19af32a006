"""Words for organisers that can be said again in the reader's language.

Bundle and event errors are built deep in checks that know no reader: the CLI prints them
(English unless asked), the organisers' upload page shows them in Italian by default. So an
error's text is a `Words`: a `str` holding the English text, as before (every caller that
prints, compares or searches it keeps working), which also remembers its template and
parameters, so `said` can fill the translated template instead. The template is the gettext
msgid, written at the call site as `N_("... {key} ...", key=key)`, which `pybabel extract`
finds (N_ is one of its default keywords), as judging/messages.py does for teams.

Parameters are words nobody translates (YAML keys, file names, values an organiser wrote),
numbers (a float is written the reader's way: "0,5" in Italian), or other `Words`, said in the
same language. Text built from `Words` by ordinary string operations is plain English again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Union

Param = Union[str, int, float, "Words"]


def _same(text: str) -> str:
    return text


def _english_number(value: float) -> str:
    return f"{value:g}"


class Words(str):
    """English text (the `str` value) with the template and parameters it was filled from."""

    template: str
    params: tuple[tuple[str, Param], ...]

    def __new__(cls, template: str, params: Mapping[str, Param] | None = None) -> Words:
        pairs = tuple((params or {}).items())
        english = _fill(template, pairs, _same, _english_number)
        made = super().__new__(cls, english)
        made.template = template
        made.params = pairs
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Words, (self.template, dict(self.params)))

    def said(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[float], str] = _english_number,
    ) -> str:
        """The text in the language of `translate`; English when a translation is malformed."""
        return _fill(self.template, self.params, translate, number)


def _fill(
    template: str,
    params: tuple[tuple[str, Param], ...],
    translate: Callable[[str], str],
    number: Callable[[float], str],
) -> str:
    values: dict[str, str] = {}
    for key, value in params:
        if isinstance(value, Words):
            values[key] = value.said(translate, number)
        elif isinstance(value, float):
            values[key] = number(value)
        else:
            values[key] = str(value)
    try:
        return translate(template).format_map(values)
    except (KeyError, IndexError, ValueError):
        return template.format_map(values)


def N_(template: str, **params: Param) -> Words:
    """Words from a template (the English text and gettext msgid) and its parameters."""
    return Words(template, params)


def said(
    text: str,
    translate: Callable[[str], str] = _same,
    number: Callable[[float], str] = _english_number,
) -> str:
    """`text` in the language of `translate` if it is `Words`; any other text as it is."""
    return text.said(translate, number) if isinstance(text, Words) else text


def listed(items: list[str], empty: Words) -> Param:
    """Items as 'a, b, c' (names nobody translates), or `empty` when there are none."""
    return ", ".join(items) if items else empty
