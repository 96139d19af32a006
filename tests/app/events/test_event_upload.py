"""Loading an event on the site from the zip of its folder, and publishing it after asking."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.events.models import Event
from tests.app.events.test_event_site import CHALLENGES, DEMO, SLUG, add_challenges
from tests.app.organisers.org_helpers import zip_folder
from tests.app.web.web_helpers import Person, engine_of, person

ORGANISER = "organizzazione@marea.example"


def _upload(
    who: Person, content: bytes, name: str = "event.zip", lang: str = "en"
) -> tuple[int, str]:
    token = who.csrf("/organise/events")
    response = who.client.post(
        f"/organise/events/upload?lang={lang}",
        data={"csrf_token": token},
        files={"bundle": (name, content, "application/zip")},
        follow_redirects=False,
    )
    return response.status_code, response.text


def test_an_admin_creates_the_event_and_its_organisers_load_new_versions(
    client: TestClient,
) -> None:
    add_challenges(client, *CHALLENGES)
    admin = person(client, "admin@example.org", "Ada", Role.admin)
    organiser = person(client, ORGANISER, "Orsola")
    stranger = person(client, "otto@example.org", "Otto", Role.organiser)

    assert _upload(organiser, zip_folder(DEMO))[0] == 403  # runs nothing yet
    status, text = _upload(stranger, zip_folder(DEMO))
    assert status == 403 and "Only a site administrator creates events" in text
    assert _upload(admin, zip_folder(DEMO))[0] == 303
    page = admin.client.get("/organise/events?lang=en").text
    assert "Event loaded." in page and f'id="event-{SLUG}"' in page and "draft" in page

    yaml = (DEMO / "event.yaml").read_text()
    changed = zip_folder(DEMO, {"event.yaml": yaml.replace("Hackathon del mare", "Mare 2027", 1)})
    assert _upload(organiser, changed)[0] == 303, "the event's organisers load new versions"
    status, text = _upload(stranger, changed)
    assert status == 403 and "you do not organise it" in text
    assert SLUG not in stranger.client.get("/organise/events").text
    with Session(engine_of(client)) as session:
        event = session.exec(select(Event).where(Event.slug == SLUG)).one()
        actions = [
            (e.action, e.actor_id)
            for e in session.exec(select(AuditEvent))
            if e.action.startswith("event.")
        ]
    assert "Mare 2027" in event.title["it"] and not event.published
    assert ("event.created", admin.user_id) in actions
    assert ("event.updated", organiser.user_id) in actions


def test_an_invalid_event_shows_located_errors_in_the_readers_language(
    client: TestClient,
) -> None:
    add_challenges(client, "sea-surface-temperature")  # three of the four are missing
    admin = person(client, "admin@example.org", "Ada", Role.admin)
    status, text = _upload(admin, zip_folder(DEMO), lang="it")
    assert status == 422 and "event.yaml:" in text
    assert "su questo sito non c&#39;è la sfida" in text and "bike-sharing-demand" in text
    status, text = _upload(admin, b"not a zip", name="event.txt")
    assert status == 400 and "is not a .zip" in text
    with Session(engine_of(client)) as session:
        assert session.exec(select(Event)).all() == []


def test_publishing_asks_first_and_says_it_happened(client: TestClient) -> None:
    add_challenges(client, *CHALLENGES)
    admin = person(client, "admin@example.org", "Ada", Role.admin)
    assert _upload(admin, zip_folder(DEMO))[0] == 303
    organiser = person(client, ORGANISER, "Orsola")
    page = organiser.client.get("/organise/events?lang=en").text
    assert 'class="confirm"' in page and "Everyone will see the event's page" in page
    anonymous = TestClient(client.app, base_url=str(client.base_url))
    assert anonymous.get(f"/events/{SLUG}").status_code == 404
    token = organiser.csrf("/organise/events")
    response = organiser.client.post(
        f"/organise/events/{SLUG}/publish?lang=en",
        data={"csrf_token": token, "publish": "yes"},
    )
    assert "Event published: everyone sees it." in response.text
    assert anonymous.get(f"/events/{SLUG}").status_code == 200
    audit = organiser.client.get(f"/events/{SLUG}/audit?lang=en").text
    assert "Orsola published the event." in audit
