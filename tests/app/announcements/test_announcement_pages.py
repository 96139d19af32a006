"""Posting, changing and deleting announcements on the site, in both languages, within scope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.announcements.models import Announcement
from app.audit.models import AuditEvent
from tests.app.announcements.ann_helpers import World, post
from tests.app.web.web_helpers import engine_of

MANAGE = "/organise/sea/announcements"


def _rows(client: TestClient) -> list[Announcement]:
    with Session(engine_of(client)) as db:
        return list(db.exec(select(Announcement).order_by(col(Announcement.id))))


def _audit(client: TestClient) -> list[str]:
    with Session(engine_of(client)) as db:
        rows = db.exec(
            select(AuditEvent.action).where(col(AuditEvent.action).startswith("announcement."))
        )
        return list(rows)


def test_an_organiser_posts_and_readers_get_their_language(
    client: TestClient, world: World
) -> None:
    org = world.people["organiser"]
    assert post(org, MANAGE, pinned="yes") == 303
    saved = org.client.get(MANAGE + "?lang=en")
    assert "Announcement “Cambio di orario” posted." in saved.text  # the poster spoke Italian
    reader = world.people["outsider"].client
    italian = reader.get("/challenges/sea/announcements?lang=it")
    assert "Cambio di orario" in italian.text and "<strong>alle 18</strong>" in italian.text
    english = reader.get("/challenges/sea/announcements?lang=en")
    assert "Change of time" in english.text and "Cambio" not in english.text
    # pinned: at the top of the challenge's page, its team page, and in the event's archive
    assert "Change of time" in reader.get("/challenges/sea?lang=en").text
    assert "Change of time" in client.get("/events/festa/announcements?lang=en").text
    assert "Change of time" not in client.get("/challenges/air/announcements?lang=en").text
    assert _audit(client) == ["announcement.post"]
    log = org.client.get("/organise/sea/audit?lang=en").text
    assert "posted the announcement “Change of time”" in log


def test_the_other_language_stands_in(client: TestClient, world: World) -> None:
    org = world.people["organiser"]
    assert post(org, MANAGE, title_en="", body_en="") == 303
    english = client.get("/challenges/sea/announcements?lang=en").text
    assert "Cambio di orario" in english


def test_markdown_is_sanitised(client: TestClient, world: World) -> None:
    org = world.people["organiser"]
    assert post(org, MANAGE, body_en="<script>alert(1)</script> [x](javascript:alert(1))") == 303
    page = client.get("/challenges/sea/announcements?lang=en").text
    assert "<script>alert(1)" not in page
    assert 'href="javascript' not in page


def test_an_organiser_of_another_event_is_refused(client: TestClient, world: World) -> None:
    org, rival = world.people["organiser"], world.people["rival"]
    assert rival.client.get(MANAGE).status_code == 404
    assert rival.client.get("/events/festa/announcements/manage").status_code == 404
    csrf = rival.csrf("/events/altra/announcements/manage")
    refused = rival.client.post(
        "/events/festa/announcements/manage",
        data={"title_it": "x", "body_it": "y", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert post(org, MANAGE) == 303
    ident = _rows(client)[0].id
    for path, form in (
        (f"/announcements/{ident}/edit", {"title_it": "presa", "body_it": "b"}),
        (f"/announcements/{ident}/pin", {"pinned": "no"}),
        (f"/announcements/{ident}/delete", {"confirm": "yes"}),
    ):
        answer = rival.client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert answer.status_code == 404, path
    assert [a.title["it"] for a in _rows(client)] == ["Cambio di orario"]
    assert _audit(client) == ["announcement.post"]
    # and their own event is theirs
    assert post(rival, "/events/altra/announcements/manage") == 303


def test_edit_unpin_and_delete_are_audited_and_delete_confirms(
    client: TestClient, world: World
) -> None:
    org = world.people["organiser"]
    assert post(org, "/events/festa/announcements/manage", pinned="yes", track="water") == 303
    a = _rows(client)[0]
    assert a.track == "water" and a.challenge_id is None
    assert "Change of time" in client.get("/challenges/sea?lang=en").text
    assert "Change of time" not in client.get("/challenges/air?lang=en").text
    edit = f"/announcements/{a.id}/edit"
    page = org.client.get(edit + "?lang=en")
    assert page.status_code == 200 and "Cambio di orario" in page.text
    assert post(org, edit, title_en="New time", pinned="yes") == 303
    csrf = org.csrf(edit)
    assert org.client.post(f"/announcements/{a.id}/pin", data={"pinned": "no", "csrf_token": csrf},
                           follow_redirects=False).status_code == 303  # fmt: skip
    assert "New time" not in client.get("/challenges/sea?lang=en").text  # unpinned
    assert "New time" in client.get("/challenges/sea/announcements?lang=en").text  # archived
    unconfirmed = org.client.post(f"/announcements/{a.id}/delete", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422 and len(_rows(client)) == 1
    manage = org.client.get("/events/festa/announcements/manage?track=water&lang=en").text
    assert "This cannot be undone." in manage and "Delete…" in manage
    deleted = org.client.post(f"/announcements/{a.id}/delete",
                              data={"confirm": "yes", "csrf_token": csrf})  # fmt: skip
    assert deleted.status_code == 200 and "deleted." in deleted.text
    assert _rows(client) == []
    assert _audit(client) == [
        "announcement.post", "announcement.edit", "announcement.unpin", "announcement.delete",
    ]  # fmt: skip
    log = org.client.get("/events/festa/audit?lang=en").text
    assert "deleted the announcement “New time”" in log


def test_a_restricted_announcement_shows_only_to_its_audience(
    client: TestClient, world: World
) -> None:
    org = world.people["organiser"]
    assert post(org, MANAGE, audience="judges", pinned="yes", title_en="For judges") == 303
    assert post(org, MANAGE, audience="not_submitted", title_en="Still time") == 303
    for name, sees in (("judge", True), ("organiser", True), ("outsider", False),
                       ("sea_idle", False), ("registered", False)):  # fmt: skip
        p = world.people[name].client
        assert ("For judges" in p.get("/challenges/sea/announcements?lang=en").text) is sees, name
        assert ("For judges" in p.get("/challenges/sea?lang=en").text) is sees, name
        assert ("For judges" in p.get("/events/festa/announcements?lang=en").text) is sees, name
    assert "For judges" not in client.get("/challenges/sea/announcements?lang=en").text
    for name, sees in (("sea_idle", True), ("sea_done", False), ("air_member", False),
                       ("outsider", False)):  # fmt: skip
        text = world.people[name].client.get("/challenges/sea/announcements?lang=en").text
        assert ("Still time" in text) is sees, name
    api = world.people["outsider"].client.get("/api/v1/challenges/sea/announcements")
    assert api.status_code == 200 and api.json()["items"] == []
    api = world.people["judge"].client.get("/api/v1/challenges/sea/announcements")
    assert [i["title"] for i in api.json()["items"]] == ["For judges"]


def test_a_refused_post_keeps_what_was_typed(client: TestClient, world: World) -> None:
    org = world.people["organiser"]
    csrf = org.csrf(MANAGE)
    answer = org.client.post(
        MANAGE + "?lang=en",
        data={"title_it": "", "title_en": "", "body_it": "testo rimasto", "csrf_token": csrf},
    )
    assert answer.status_code == 422 and "Give the announcement a title." in answer.text
    assert "testo rimasto" in answer.text and _rows(client) == []
    preview = org.client.post(
        MANAGE + "?lang=en",
        data={"title_en": "Draft", "body_en": "*soon*", "intent": "preview", "csrf_token": csrf},
    )
    assert preview.status_code == 200 and "<em>soon</em>" in preview.text and _rows(client) == []
