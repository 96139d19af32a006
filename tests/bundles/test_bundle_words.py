"""Bundle and event errors read in Italian: every template is translated, with the same fields.

The templates are found the way `pybabel extract` finds them (every `N_("...")` of the
modules that build organisers' errors), so a new error added without its Italian sentence,
or an Italian sentence that lost a `{field}`, fails here rather than on the upload page.
"""

from __future__ import annotations

import pickle
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.bundles.errors import N_, Words
from app.i18n import Catalogs
from app.text.words import said

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((PROJECT_ROOT / "app" / "bundles").glob("*.py")),
    *(PROJECT_ROOT / "app" / "events" / name for name in ("rules.py", "schema.py", "validate.py")),
    PROJECT_ROOT / "app" / "events" / "load.py",
    PROJECT_ROOT / "app" / "text" / "placeholders.py",
]
ITALIAN = PROJECT_ROOT / "app" / "locale" / "it" / "LC_MESSAGES" / "messages.po"


def _templates() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for path in SOURCES:
        for line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"N_": None}
        ):
            assert isinstance(message, str)
            found.setdefault(message, f"{path.relative_to(PROJECT_ROOT)}:{line}")
    return sorted(found.items())


TEMPLATES = _templates()
with ITALIAN.open("rb") as _source:
    CATALOG = read_po(_source)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_extraction_finds_the_templates() -> None:
    """A guard for the test below: an extractor finding nothing would check nothing."""
    assert len(TEMPLATES) > 300
    assert "{parent}: required key `{key}` is missing" in dict(TEMPLATES)


@pytest.mark.parametrize(("template", "where"), TEMPLATES, ids=[t for t, _ in TEMPLATES])
def test_every_template_has_an_italian_translation_with_the_same_fields(
    template: str, where: str
) -> None:
    entry = CATALOG.get(template)
    assert entry is not None, f"{where}: {template!r} is not in the Italian catalog"
    assert entry.string and not entry.fuzzy, f"{where}: {template!r} has no Italian translation"
    assert isinstance(entry.string, str)
    assert _fields(entry.string) == _fields(template), f"{where}: {entry.string!r}"


def test_words_are_the_english_text_and_can_be_said_in_italian() -> None:
    italian = Catalogs().translations("it")
    inner = N_("a mapping")
    words = N_("{where}: {value} is not allowed", where="phases[0].kind", value=inner)
    assert isinstance(words, str)
    assert words == "phases[0].kind: a mapping is not allowed"
    assert "is not allowed" in words and str(words) == words
    assert said(words, italian.gettext) == "phases[0].kind: una mappa non è tra i valori ammessi"
    assert said("plain text", italian.gettext) == "plain text"


def test_words_survive_pickling_and_a_broken_translation_falls_back_to_english() -> None:
    words = N_("member '{name}' is encrypted", name="a.csv")
    back = pickle.loads(pickle.dumps(words))
    assert isinstance(back, Words) and back == words and back.template == words.template
    assert words.said(lambda text: "la voce {nome} è cifrata") == "member 'a.csv' is encrypted"


def test_numbers_are_written_the_readers_way() -> None:
    words = N_("input should be greater than {limit}", limit=0.5)
    assert words == "input should be greater than 0.5"
    italian = Catalogs().translations("it")
    assert words.said(italian.gettext, lambda x: f"{x:g}".replace(".", ",")).endswith("0,5")
