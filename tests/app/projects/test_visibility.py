"""Who sees a project: its team, the challenge's staff always; the public only once the gallery
is public, and never a project whose team opted out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from tests.app.projects.project_helpers import (
    FORM,
    GALLERY,
    PUBLISH,
    SLUG,
    World,
    build,
    project_id,
    save,
    set_gallery,
)
from tests.app.web.web_helpers import engine_of

TITLE = "Gemello digitale del golfo"


def _saved(client: TestClient) -> tuple[World, str]:
    world = build(client)
    assert save(world.ada).status_code == 303
    return world, f"{GALLERY}/{project_id(client, world.delfini)}"


def _publish(world: World, action: str = "publish") -> int:
    response = world.boss.client.post(
        PUBLISH,
        data={"csrf_token": world.boss.csrf(GALLERY), "action": action},
        follow_redirects=False,
    )
    return response.status_code


def test_before_publication_only_the_team_and_staff_see_the_project(client: TestClient) -> None:
    world, page = _saved(client)
    for insider in (world.ada, world.bea, world.boss, world.jude):
        assert TITLE in insider.client.get(GALLERY).text
        assert insider.client.get(page).status_code == 200
    for outsider in (world.eve, world.solo):
        assert TITLE not in outsider.client.get(GALLERY).text
        assert outsider.client.get(page).status_code == 404
    assert TITLE not in client.get(GALLERY).text
    assert client.get(page).status_code == 404
    # the description is the site's sanitised Markdown
    assert "<h2>Come funziona</h2>" in world.jude.client.get(page).text


def test_publishing_shows_it_to_everyone_with_an_audit_line_and_a_flash(
    client: TestClient,
) -> None:
    world, page = _saved(client)
    assert _publish(world) == 303
    gallery = world.boss.client.get(GALLERY + "?lang=en").text
    assert "The gallery is published" in gallery
    assert TITLE in client.get(GALLERY).text
    assert client.get(page).status_code == 200
    assert world.eve.client.get(page).status_code == 200
    assert _publish(world) == 409  # already published
    assert _publish(world, "unpublish") == 303
    assert client.get(page).status_code == 404
    with Session(engine_of(client)) as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.challenge_id == world.cid)
            .order_by(col(AuditEvent.id))
        ).all()
        assert actions == ["projects.publish", "projects.unpublish"]
    log = world.boss.client.get(f"/organise/{SLUG}/audit?lang=en").text
    assert "published the gallery of projects" in log


def test_only_the_challenges_organisers_publish(client: TestClient) -> None:
    world, page = _saved(client)
    assert world.jude.client.post(
        PUBLISH, data={"csrf_token": world.jude.csrf(GALLERY)}, follow_redirects=False
    ).status_code in (403, 404)
    assert (
        world.ada.client.post(
            PUBLISH, data={"csrf_token": world.ada.csrf(GALLERY)}, follow_redirects=False
        ).status_code
        == 403
    )
    assert client.get(page).status_code == 404


def test_an_opted_out_team_stays_out_of_the_public_gallery_but_is_judged(
    client: TestClient,
) -> None:
    world, page = _saved(client)
    teammate = world.bea.client.post(
        f"{FORM}/gallery", data={"csrf_token": world.bea.csrf(FORM), "show": "no"},
        follow_redirects=False,
    )  # fmt: skip
    assert teammate.status_code == 403  # the captain's choice
    out = world.ada.client.post(
        f"{FORM}/gallery", data={"csrf_token": world.ada.csrf(FORM), "show": "no"},
        follow_redirects=False,
    )  # fmt: skip
    assert out.status_code == 303
    assert _publish(world) == 303
    assert TITLE not in client.get(GALLERY).text
    assert client.get(page).status_code == 404
    assert world.eve.client.get(page).status_code == 404
    assert world.jude.client.get(page).status_code == 200
    assert "kept out of the public gallery" in world.boss.client.get(GALLERY + "?lang=en").text
    back = world.ada.client.post(
        f"{FORM}/gallery", data={"csrf_token": world.ada.csrf(FORM), "show": "yes"},
        follow_redirects=False,
    )  # fmt: skip
    assert back.status_code == 303
    assert client.get(page).status_code == 200


def test_a_live_gallery_is_public_without_publication(client: TestClient) -> None:
    _world, page = _saved(client)
    set_gallery(client, "live")
    assert TITLE in client.get(GALLERY).text
    assert client.get(page).status_code == 200


def test_the_challenge_page_links_to_the_project(client: TestClient) -> None:
    _world, _page = _saved(client)
    html = client.get(f"/challenges/{SLUG}?lang=en").text
    assert f'{FORM}"' in html and f'{GALLERY}"' in html
