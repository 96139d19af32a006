"""Teams on the web and through the API: forming, inviting, leaving, captaincy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.app.web.web_helpers import challenge, person


def _create_on_web(client: TestClient, name: str = "Delfini") -> tuple[object, str]:
    challenge(client)
    ada = person(client, "ada@example.org", "Ada")
    page = ada.client.get("/challenges/sea-temp/team?lang=en")
    assert page.status_code == 200 and "Create a team" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    made = ada.client.post(
        "/challenges/sea-temp/team/create",
        data={"csrf_token": token.group(1), "name": name},
        follow_redirects=False,
    )
    assert made.status_code == 303
    team_page = ada.client.get("/challenges/sea-temp/team?lang=en").text
    code = re.search(r'<code id="invite-code">([^<]+)</code>', team_page)
    assert code, "the captain sees the invitation code"
    assert "Team created." in team_page
    return ada, code.group(1)


def test_create_team_on_web_and_join_by_code_through_api(client: TestClient) -> None:
    ada, code = _create_on_web(client)
    page = ada.client.get("/challenges/sea-temp/team?lang=en").text  # type: ignore[attr-defined]
    assert "Delfini" in page and "/challenges/sea-temp/join/" in page

    bob = person(client, "bob@example.org", "Bob")
    wrong = client.post(
        "/api/v1/challenges/sea-temp/team/join", json={"code": "nope"}, headers=bob.bearer()
    )
    assert wrong.status_code == 404 and "invitation code" in wrong.json()["error"]["message"]
    joined = client.post(
        "/api/v1/challenges/sea-temp/team/join", json={"code": code}, headers=bob.bearer()
    )
    assert joined.status_code == 200
    body = joined.json()
    assert [m["name"] for m in body["members"]] == ["Ada", "Bob"]
    assert body["invite_code"] is None, "only the captain sees the code"
    again = client.post(
        "/api/v1/challenges/sea-temp/teams", json={"name": "Altri"}, headers=bob.bearer()
    )
    assert again.status_code == 409


def test_join_by_signed_link_needs_a_confirming_post(client: TestClient) -> None:
    ada, _ = _create_on_web(client)
    link = re.search(
        r'value="http://testserver(/challenges/sea-temp/join/[^"]+)"',
        ada.client.get("/challenges/sea-temp/team").text,  # type: ignore[attr-defined]
    )
    assert link
    carol = person(client, "carol@example.org", "Carol")
    confirm = carol.client.get(link.group(1) + "?lang=en")
    assert confirm.status_code == 200 and "Join the team" in confirm.text
    assert client.get("/api/v1/challenges/sea-temp/team", headers=carol.bearer()).status_code == 404
    joined = carol.client.post(
        link.group(1), data={"csrf_token": carol.csrf(link.group(1))}, follow_redirects=False
    )
    assert joined.status_code == 303
    mine = client.get("/api/v1/challenges/sea-temp/team", headers=carol.bearer()).json()
    assert mine["name"] == "Delfini"


def test_regenerated_code_cancels_old_links_and_codes(client: TestClient) -> None:
    challenge(client)
    ada = person(client, "ada@example.org", "Ada")
    made = client.post(
        "/api/v1/challenges/sea-temp/teams", json={"name": "Orche"}, headers=ada.bearer()
    ).json()
    old_code, old_link = made["invite_code"], made["invite_link"]
    fresh = client.post("/api/v1/challenges/sea-temp/team/code", headers=ada.bearer()).json()
    assert fresh["invite_code"] != old_code
    bob = person(client, "bob@example.org", "Bob")
    by_code = client.post(
        "/api/v1/challenges/sea-temp/team/join", json={"code": old_code}, headers=bob.bearer()
    )
    assert by_code.status_code == 404
    by_link = client.post(
        "/api/v1/challenges/sea-temp/team/join",
        json={"token": old_link.rsplit("/", 1)[1]},
        headers=bob.bearer(),
    )
    assert by_link.status_code == 404 and "no longer valid" in by_link.json()["error"]["message"]
    ok = client.post(
        "/api/v1/challenges/sea-temp/team/join",
        json={"token": fresh["invite_link"].rsplit("/", 1)[1]},
        headers=bob.bearer(),
    )
    assert ok.status_code == 200


def test_captain_hands_over_then_leaves(client: TestClient) -> None:
    challenge(client)
    ada = person(client, "ada@example.org", "Ada")
    bob = person(client, "bob@example.org", "Bob")
    code = client.post(
        "/api/v1/challenges/sea-temp/teams", json={"name": "Orche"}, headers=ada.bearer()
    ).json()["invite_code"]
    client.post("/api/v1/challenges/sea-temp/team/join", json={"code": code}, headers=bob.bearer())

    refused = ada.client.post(
        "/challenges/sea-temp/team/leave?lang=en",
        data={"csrf_token": ada.csrf("/challenges/sea-temp/team")},
    )
    assert refused.status_code == 409 and "Hand over captaincy" in refused.text
    not_captain = client.post(
        "/api/v1/challenges/sea-temp/team/captain",
        json={"user_id": bob.user_id},
        headers=bob.bearer(),
    )
    assert not_captain.status_code == 403
    handed = ada.client.post(
        "/challenges/sea-temp/team/captain",
        data={"csrf_token": ada.csrf("/challenges/sea-temp/team"), "user_id": str(bob.user_id)},
        follow_redirects=False,
    )
    assert handed.status_code == 303
    team = client.get("/api/v1/challenges/sea-temp/team", headers=bob.bearer()).json()
    assert team["captain_id"] == bob.user_id and team["invite_code"]
    left = client.post("/api/v1/challenges/sea-temp/team/leave", headers=ada.bearer())
    assert left.status_code == 204
    assert client.get("/api/v1/challenges/sea-temp/team", headers=ada.bearer()).status_code == 404


def test_anonymous_is_sent_to_login_on_web_and_401_on_api(client: TestClient) -> None:
    challenge(client)
    page = client.get("/challenges/sea-temp/team", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert client.get("/api/v1/challenges/sea-temp/team").status_code == 401
    forged = client.post("/challenges/sea-temp/team/create", data={"name": "X"})
    assert forged.status_code == 403, "CSRF protects the team forms"
