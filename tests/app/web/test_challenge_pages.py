"""The catalog's challenge pages as people read them: the list at /challenges, phase dates that
follow the organisers' phase editor, and the data's source and licence said once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.accounts.models import Role
from app.bundles.load import LoadOutcome, load_into_db
from app.core.runtime import Runtime
from app.text import placeholders
from app.text.markdown import render_markdown
from app.text.timefmt import format_local
from tests.app.web.web_helpers import challenge, engine_of, person

SEA = Path(__file__).resolve().parents[3] / "challenges" / "sea-surface-temperature"
SLUG = SEA.name


def load_sea(client: TestClient) -> None:
    app = client.app
    runtime = Runtime(app.state.settings, engine_of(client), app.state.store)  # type: ignore[attr-defined]
    assert isinstance(load_into_db(runtime, SEA, publish=True), LoadOutcome)


def page(client: TestClient, name: str, lang: str) -> str:
    answer = client.get(f"/challenges/{SLUG}?page={name}&lang={lang}")
    assert answer.status_code == 200, answer.text
    return " ".join(answer.text.split())


def test_the_rules_show_the_phase_dates_and_follow_the_phase_editor(client: TestClient) -> None:
    load_sea(client)
    rules = page(client, "rules", "it")
    assert "dal 1 marzo 2027, 01:00 al 15 marzo 2027, 01:00" in rules  # 00:00 UTC, in Rome
    assert "{{" not in rules
    rules = page(client, "rules", "en")
    assert "from 1 November 2026, 01:00 to 1 March 2027, 01:00" in rules
    organiser = person(client, "olga@example.org", "Olga", Role.organiser)
    moved = organiser.client.post(
        f"/organise/{SLUG}/phases/final",
        data={"start": "2027-03-02T17:00:00Z", "end": "2027-03-20T17:00:00Z",
              "csrf_token": organiser.csrf(f"/organise/{SLUG}")},
        follow_redirects=False,
    )  # fmt: skip
    assert moved.status_code == 303, moved.text
    assert "dal 2 marzo 2027, 18:00 al 20 marzo 2027, 18:00" in page(client, "rules", "it")
    assert "from 2 March 2027, 18:00 to 20 March 2027, 18:00" in page(client, "rules", "en")
    preview = organiser.client.get(f"/organise/{SLUG}/preview?page=rules&lang=en")
    assert "2 March 2027, 18:00" in preview.text


def test_the_data_source_and_licence_are_shown_once_on_the_data_tab(client: TestClient) -> None:
    load_sea(client)
    for lang, heading in (("en", "Data source and licence"), ("it", "Fonte e licenza dei dati")):
        for name in ("overview", "evaluation", "rules"):
            assert heading not in page(client, name, lang), name
        assert page(client, "data", lang).count(heading) == 1


def test_challenges_lists_the_published_challenges(client: TestClient) -> None:
    challenge(client, "sea-temp")
    draft, _ = challenge(client, "draft-one")
    from app.challenges.models import Challenge
    from app.core.db import session_scope

    with session_scope(engine_of(client)) as session:
        row = session.get(Challenge, draft)
        assert row is not None
        row.published = False
    for lang, heading in (("en", "All challenges"), ("it", "Tutte le sfide")):
        answer = client.get(f"/challenges?lang={lang}")
        assert answer.status_code == 200
        assert heading in answer.text
        assert "/challenges/sea-temp" in answer.text
        assert "draft-one" not in answer.text


# -- the placeholders themselves --------------------------------------------------------------


def test_dates_are_written_in_the_readers_language_and_the_challenges_zone() -> None:
    moment = datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    assert format_local(moment, "it") == "1 luglio 2027, 18:00"  # Rome, summer time
    assert format_local(moment, "en") == "1 July 2027, 18:00"
    assert format_local(moment, "en", "UTC") == "1 July 2027, 16:00"
    assert format_local(moment, "en", "Nowhere/Atlantis") == "1 July 2027, 18:00"


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "1. **bold** `code` # title",
    ],
)
def test_a_filled_value_is_only_ever_text(value: str) -> None:
    text = "Opens {{ phase.final.start }} and {{phase.final.end}}; {{ phase.nope.start }} stays."
    filled = placeholders.fill(text, lambda name, _field: value if name == "final" else None)
    html = str(render_markdown(filled))
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "<strong>" not in html and "<code>" not in html and "<h1>" not in html
    assert "{{ phase.nope.start }}" in html
    assert html.count("alert(1)") == (2 if "alert" in value else 0)


def test_the_validator_locates_a_placeholder_that_names_nothing() -> None:
    text = (
        "# Rules\n\nFrom {{ phase.final.start }} to {{ phase.finale.end }}, {{phase.final.begin}}."
    )
    found = list(placeholders.find(text))
    assert [(f.line, f.column) for f in found] == [(3, 6), (3, 33), (3, 57)]
    problems = [placeholders.problem(f, ["development", "final"]) for f in found]
    assert problems[0] is None
    assert problems[1] is not None and "names no phase" in problems[1][0]
    assert problems[2] is not None and "`begin`" in problems[2][0]


def test_the_sidebar_shows_phase_dates_in_rome_with_utc_on_hover(client: TestClient) -> None:
    load_sea(client)
    italian = page(client, "overview", "it")
    assert (
        '<time datetime="2026-11-01T00:00:00Z" title="2026-11-01 00:00 UTC">'
        "1 novembre 2026, 01:00</time>"
    ) in italian
    english = page(client, "overview", "en")
    assert 'title="2026-11-01 00:00 UTC">1 November 2026, 01:00</time>' in english
    assert " UTC</time>" not in english  # the old 'YYYY-MM-DD HH:MM UTC' text is gone
