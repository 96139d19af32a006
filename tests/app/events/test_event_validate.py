"""event.yaml is checked like a bundle: every mistake is reported at its key, with a fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.bundles.errors import ErrorCategory
from app.cli.event import event_app
from app.events.validate import validate_event

pytestmark = pytest.mark.unit

DEMO = Path(__file__).resolve().parents[3] / "challenges" / "event"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "event"
    shutil.copytree(DEMO, copy)
    return copy


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "event.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the demo event no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(folder: Path, needle: str) -> int:
    lines = (folder / "event.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_the_demo_event_is_valid() -> None:
    report = validate_event(DEMO)
    assert report.errors == []
    assert report.event is not None and report.event.slug == "hackathon-del-mare"
    assert set(report.pages) == {"about", "code_of_conduct", "data_terms"}
    assert set(report.logos) == {"comune", "porto", "universita"}
    # event.yaml itself may be named instead of its folder
    assert validate_event(DEMO / "event.yaml").ok


# (what to change, the text to change it to, a line that marks where the error must point,
#  words the message must contain, words the fix must contain, the category)
CASES = [
    (
        "slug: hackathon-del-mare",
        "slug: Hackathon Del Mare",
        "slug:",
        "not in the accepted form",
        "lowercase",
        ErrorCategory.SCHEMA,
    ),
    (
        "time_zone: Europe/Rome",
        "time_zone: Europe/Spezia",
        "time_zone:",
        "not a time zone",
        "Europe/Rome",
        ErrorCategory.SCHEMA,
    ),
    (
        "  hacking_starts: 2026-11-01T00:00:00Z",
        "  hacking_starts: 2027-04-01T00:00:00Z",
        "hacking_ends:",
        "is not after dates.hacking_starts",
        "later than",
        ErrorCategory.RULE,
    ),
    (
        "  results: 2027-03-20T18:00:00+01:00",
        "  results: 2027-03-20T18:00:00",
        "results:",
        "timezone",
        "add a time zone",
        ErrorCategory.SCHEMA,
    ),
    (
        "    challenges: [bike-sharing-demand, waterfront-smart-lighting]",
        "    challenges: [bike-sharing-demand, sea-surface-temperature]",
        "challenges: [bike-sharing-demand, sea-surface-temperature]",
        "listed twice",
        "remove the repeated",
        ErrorCategory.RULE,
    ),
    (
        "    sponsor: porto",
        "    sponsor: port",
        "sponsor: port",
        "not the key of a partner",
        "porto",
        ErrorCategory.RULE,
    ),
    (
        "  - track: citta-e-mobilita",
        "  - track: citta",
        "track: citta",
        "not a track",
        "citta-e-mobilita",
        ErrorCategory.RULE,
    ),
    (
        "      kind: multiple",
        "      kind: text",
        "kind: text",
        "text question but lists options",
        "remove `options:`",
        ErrorCategory.RULE,
    ),
    (
        "organisers: [organizzazione@marea.example]",
        "organisers: [organizzazione]",
        "organisers:",
        "not in the accepted form",
        "e-mail",
        ErrorCategory.SCHEMA,
    ),
    (
        "  mode: open",
        "  mode: lottery",
        "mode: lottery",
        "not allowed",
        "open or approval",
        ErrorCategory.SCHEMA,
    ),
    (
        "judges: [giuria@marea.example]",
        "jury: [giuria@marea.example]",
        "jury:",
        "unknown key `jury`",
        "judges",
        ErrorCategory.SCHEMA,
    ),
    (
        "    logo: logos/porto.png",
        "    logo: logos/missing.png",
        "logos/missing.png",
        "does not exist",
        "add logos/missing.png",
        ErrorCategory.FILE,
    ),
    (
        "    logo: logos/porto.png",
        "    logo: ../outside.png",
        "../outside.png",
        "could leave the bundle folder",
        "",
        ErrorCategory.SCHEMA,
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "says", "fix", "category"), CASES)
def test_each_mistake_is_located_and_explained(
    folder: Path, old: str, new: str, marker: str, says: str, fix: str, category: ErrorCategory
) -> None:
    edit(folder, old, new)
    report = validate_event(folder)
    assert not report.ok and report.event is None
    assert len(report.errors) == 1, [str(e) for e in report.errors]
    error = report.errors[0]
    assert says in error.message, str(error)
    assert fix in error.hint, str(error)
    assert error.category is category
    assert error.file == "event.yaml"
    assert error.line == line_of(folder, marker), str(error)


def test_a_logo_that_is_not_a_raster_image_is_refused(folder: Path) -> None:
    (folder / "logos" / "porto.png").write_text('<svg onload="alert(1)"></svg>')
    report = validate_event(folder)
    assert [(e.file, e.category) for e in report.errors] == [
        ("logos/porto.png", ErrorCategory.FILE)
    ]
    assert "SVG is not accepted" in report.errors[0].hint


def test_an_empty_page_and_a_missing_file_are_both_reported(folder: Path) -> None:
    (folder / "pages" / "about.en.md").write_text("  \n")
    (folder / "pages" / "conduct.it.md").unlink()
    report = validate_event(folder)
    found = {(e.file, e.message) for e in report.errors}
    assert ("pages/about.en.md", "page is empty") in found
    assert ("event.yaml", "'pages/conduct.it.md' does not exist") in found


def test_broken_yaml_and_a_missing_file_say_where(folder: Path, tmp_path: Path) -> None:
    edit(folder, "format: 1", "format: 1\n  bad: [")
    report = validate_event(folder)
    assert report.errors[0].category is ErrorCategory.SYNTAX
    assert report.errors[0].line is not None
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = validate_event(empty)
    assert "no event.yaml" in missing.errors[0].message


def test_every_key_of_event_yaml_is_documented() -> None:
    """docs/challenge-format.md's Events section and the schema must not drift apart."""
    import inspect
    from typing import Any, get_args

    from pydantic import BaseModel

    from app.events.schema import Event

    doc = (Path(__file__).resolve().parents[3] / "docs" / "challenge-format.md").read_text()
    section = doc[doc.index("## Events: event.yaml") :]

    def models(annotation: Any) -> list[type[BaseModel]]:
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in get_args(annotation) for m in models(arg)]

    def keys(model: type[BaseModel]) -> set[str]:
        names = set(model.model_fields)
        for info in model.model_fields.values():
            for inner in models(info.annotation):
                if inner is not model:
                    names |= keys(inner)
        return names

    missing = sorted(k for k in keys(Event) if f"{k}:" not in section)
    assert missing == []


def test_event_validate_speaks_italian_when_asked(folder: Path) -> None:
    """`marea event validate --lang it`: the error and its fix in Italian, English by default."""
    edit(folder, "sponsor: porto", "sponsor: harbour")
    runner = CliRunner()
    english = runner.invoke(event_app, ["validate", str(folder)])
    assert english.exit_code == 1, english.output
    assert ".sponsor 'harbour' is not the key of a partner" in english.output
    assert "  fix: add the sponsor under `partners:` with that key" in english.output

    italian = runner.invoke(event_app, ["validate", "--lang", "it", str(folder)])
    assert italian.exit_code == 1, italian.output
    assert ".sponsor 'harbour' non è la chiave di un partner" in italian.output
    assert "  come correggere: aggiungete lo sponsor sotto `partners:`" in italian.output
    assert "is not the key" not in italian.output
