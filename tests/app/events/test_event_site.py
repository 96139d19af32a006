"""An event loaded from its folder: its challenges join their tracks, and the public sees a
landing page (schedule, tracks, prizes, partners, calendar) once it is published."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.core.db import session_scope
from app.core.runtime import Runtime
from app.events.load import EventInvalid, EventLoaded, load_event
from app.events.models import Event
from tests.app.web.web_helpers import engine_of, person
from tests.factories import make_challenge

DEMO = Path(__file__).resolve().parents[3] / "challenges" / "event"
SLUG = "hackathon-del-mare"
CHALLENGES = {
    "sea-surface-temperature": "mare-e-porto",
    "port-berth-scheduling": "mare-e-porto",
    "bike-sharing-demand": "citta-e-mobilita",
    "waterfront-smart-lighting": "citta-e-mobilita",
    "gulf-digital-twin": "citta-resiliente",
    "city-ransomware-resilience": "citta-resiliente",
}


def runtime_of(client: TestClient) -> Runtime:
    app = client.app
    return Runtime(app.state.settings, engine_of(client), app.state.store)  # type: ignore[attr-defined]


def add_challenges(client: TestClient, *slugs: str) -> None:
    with session_scope(engine_of(client)) as session:
        for slug in slugs:
            make_challenge(session, slug)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "event"
    shutil.copytree(DEMO, copy)
    return copy


def load(client: TestClient, folder: Path, publish: bool | None = None) -> EventLoaded:
    return load_event(runtime_of(client), folder, publish=publish)


def flat(html: str) -> str:
    return " ".join(html.split())


def test_an_event_needs_its_challenges_loaded_first_and_says_which(
    client: TestClient, folder: Path
) -> None:
    add_challenges(client, "sea-surface-temperature", "port-berth-scheduling")
    with pytest.raises(EventInvalid) as caught:
        load(client, folder)
    errors = caught.value.report.errors
    assert [e.message for e in errors] == [
        "tracks[1].challenges[0]: no challenge 'bike-sharing-demand' on this site",
        "tracks[1].challenges[1]: no challenge 'waterfront-smart-lighting' on this site",
        "tracks[2].challenges[0]: no challenge 'gulf-digital-twin' on this site",
        "tracks[2].challenges[1]: no challenge 'city-ransomware-resilience' on this site",
    ]
    lines = (folder / "event.yaml").read_text().splitlines()
    assert "bike-sharing-demand" in lines[errors[0].line - 1]  # type: ignore[operator]
    assert all("marea challenge load" in e.hint for e in errors)
    with session_scope(engine_of(client)) as session:
        assert session.exec(select(Event)).all() == []  # nothing half-loaded


def test_loading_puts_challenges_in_their_tracks_and_is_idempotent(
    client: TestClient, folder: Path
) -> None:
    add_challenges(client, *CHALLENGES, "loose-challenge")
    first = load(client, folder)
    assert (first.action, first.challenges, first.published) == ("created", len(CHALLENGES), False)
    assert load(client, folder) == EventLoaded(SLUG, "unchanged", len(CHALLENGES), False)
    published = load(client, folder, publish=True)
    assert (published.action, published.published) == ("updated", True)
    with session_scope(engine_of(client)) as session:
        event = session.exec(select(Event)).one()
        placed = {c.slug: (c.event_id, c.track) for c in session.exec(select(Challenge))}
        actions = [a.action for a in session.exec(select(AuditEvent))]
    assert placed == {
        **{slug: (event.id, track) for slug, track in CHALLENGES.items()},
        "loose-challenge": (None, None),
    }
    assert actions.count("event.created") == 1 and actions.count("event.updated") == 1
    assert event.time_zone == "Europe/Rome" and event.logos.keys() == {
        "comune",
        "porto",
        "universita",
    }
    assert event.starts_at == datetime(2026, 11, 1, tzinfo=UTC)

    # a new version that drops a challenge takes it out of the event, and keeps the rest
    text = (folder / "event.yaml").read_text()
    text = text.replace("challenges: [bike-sharing-demand, waterfront-smart-lighting]",
                        "challenges: [bike-sharing-demand]")  # fmt: skip
    (folder / "event.yaml").write_text(text)
    assert load(client, folder).action == "updated"
    with session_scope(engine_of(client)) as session:
        dropped = session.exec(
            select(Challenge).where(Challenge.slug == "waterfront-smart-lighting")
        ).one()
        kept = session.exec(select(Challenge).where(Challenge.slug == "bike-sharing-demand")).one()
    assert (dropped.event_id, dropped.track) == (None, None)
    assert kept.track == "citta-e-mobilita"


def test_a_draft_event_exists_only_for_its_organisers(client: TestClient, folder: Path) -> None:
    add_challenges(client, *CHALLENGES)
    load(client, folder)
    for path in (f"/events/{SLUG}", f"/events/{SLUG}/calendar.ics",
                 f"/events/{SLUG}/partners/porto/logo"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert SLUG not in client.get("/events").text
    elsewhere = person(client, "olga@example.org", "Olga", Role.organiser)  # not in event.yaml
    assert elsewhere.client.get(f"/events/{SLUG}").status_code == 404
    organiser = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    preview = organiser.client.get(f"/events/{SLUG}?lang=en")
    assert preview.status_code == 200
    assert "Draft: only organisers see this event" in preview.text


def test_the_landing_page_in_both_languages(client: TestClient, folder: Path) -> None:
    add_challenges(client, *CHALLENGES)
    load(client, folder, publish=True)
    italian = flat(client.get(f"/events/{SLUG}?lang=it").text)
    for words in (
        "Hackathon del mare",
        "Mare e porto",  # a track, with its challenges linked
        'href="http://testserver/challenges/sea-surface-temperature"'.replace(
            "http://testserver", str(client.base_url).rstrip("/")
        ),
        "Presentazioni finali alla giuria",  # the schedule, in the event's time zone
        "14 marzo 2027, 15:00",
        "1.500 € e un mese di incubazione",
        "offerto da Autorità portuale (demo)",
        "Università (demo)",
        "Via del Molo 1, 19121 La Spezia",
        "Aggiungi al tuo calendario (iCal)",
        "Iscriviti per partecipare",
    ):
        assert words in italian, words
    english = flat(client.get(f"/events/{SLUG}?lang=en").text)
    for words in ("Hackathon of the sea", "Sea and port", "Final pitches to the jury",
                  "14 March 2027, 15:00", "Sign up to take part", "Code of conduct"):  # fmt: skip
        assert words in english, words
    assert "Mare e porto" not in english
    conduct = flat(client.get(f"/events/{SLUG}?page=code_of_conduct&lang=en").text)
    assert "treat every person with respect" in conduct
    assert client.get(f"/events/{SLUG}?page=rules").status_code == 404


def test_the_home_page_goes_to_the_only_event_else_lists_events(
    client: TestClient, folder: Path
) -> None:
    add_challenges(client, *CHALLENGES)
    load(client, folder, publish=True)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].endswith(f"/events/{SLUG}")
    add_challenges(client, "loose-challenge")  # published, in no event
    listing = flat(client.get("/?lang=en").text)
    assert listing.count(f"/events/{SLUG}") == 1 and "/challenges/loose-challenge" in listing
    assert "Other challenges" in listing
    assert "/challenges/sea-surface-temperature" not in listing  # it is inside its event


def test_the_calendar_holds_the_event_and_its_agenda(client: TestClient, folder: Path) -> None:
    add_challenges(client, *CHALLENGES)
    load(client, folder, publish=True)
    answer = client.get(f"/events/{SLUG}/calendar.ics?lang=it")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    entries = [c for c in calendar.walk("VEVENT")]
    assert len(entries) == 6  # the whole event and five agenda items
    summaries = [str(e["SUMMARY"]) for e in entries]
    assert summaries[0] == "Hackathon del mare"
    assert "Presentazioni finali alla giuria" in summaries
    pitches = entries[summaries.index("Presentazioni finali alla giuria")]
    assert pitches.decoded("DTSTART") == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)
    assert "Sala grande" in str(pitches["LOCATION"])
    english = Calendar.from_ical(client.get(f"/events/{SLUG}/calendar.ics?lang=en").content)
    assert "Final pitches to the jury" in [str(e["SUMMARY"]) for e in english.walk("VEVENT")]


def test_logos_are_served_as_the_images_they_are(client: TestClient, folder: Path) -> None:
    add_challenges(client, *CHALLENGES)
    load(client, folder, publish=True)
    logo = client.get(f"/events/{SLUG}/partners/porto/logo")
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"
    assert logo.content == (DEMO / "logos" / "porto.png").read_bytes()
    assert client.get(f"/events/{SLUG}/partners/nobody/logo").status_code == 404
