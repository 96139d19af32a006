"""Personal API tokens: made on the account page, shown once, used as Bearer, revoked."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import ApiToken
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import csrf_from, log_out, sign_up


def _make_token(client: TestClient, name: str) -> str:
    token = csrf_from(client.get("/account").text)
    page = client.post("/account/tokens", data={"name": name, "csrf_token": token})
    assert page.status_code == 201
    match = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_token_is_shown_once_and_only_its_hash_is_kept(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    secret = _make_token(client, "laptop")
    assert secret not in client.get("/account").text
    assert "laptop" in client.get("/account").text
    with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
        stored = db.exec(select(ApiToken)).one()
    assert stored.token_hash != secret and secret not in stored.token_hash


def test_bearer_token_authenticates_api_calls_until_revoked(
    client: TestClient, settings: Settings
) -> None:
    sign_up(client, "ada@example.org", name="Ada")
    secret = _make_token(client, "ci")
    with TestClient(create_app(settings)) as cli:  # no cookies: a script or the marea CLI
        me = cli.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200
        assert me.json()["email"] == "ada@example.org" and me.json()["role"] == "participant"
        anonymous = cli.get("/api/v1/me")
        assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]

        page = client.get("/account").text
        revoke_url = re.search(r'action="http://testserver(/account/tokens/\d+/revoke)"', page)
        assert revoke_url
        revoked = client.post(
            revoke_url.group(1), data={"csrf_token": csrf_from(page)}, follow_redirects=False
        )
        assert revoked.status_code == 303
        after = cli.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert after.status_code == 401
        assert "not valid" in after.json()["error"]["message"]


def test_a_wrong_bearer_token_is_401_even_with_a_session_cookie(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    assert client.get("/api/v1/me").status_code == 200  # the session works for the API too
    wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer marea_nope"})
    assert wrong.status_code == 401


def test_someone_elses_token_cannot_be_revoked(client: TestClient, settings: Settings) -> None:
    sign_up(client, "ada@example.org")
    secret = _make_token(client, "mine")
    page = client.get("/account").text
    revoke_path = re.search(r"(/account/tokens/\d+/revoke)", page)
    assert revoke_path
    log_out(client)
    sign_up(client, "bea@example.org")
    token = csrf_from(client.get("/account").text)
    assert client.post(revoke_path.group(1), data={"csrf_token": token}).status_code == 404
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["email"] == "ada@example.org"


def test_token_needs_a_name(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    token = csrf_from(client.get("/account").text)
    page = client.post("/account/tokens?lang=en", data={"name": " ", "csrf_token": token})
    assert page.status_code == 422
    assert 'id="f-name-error"' in page.text and "new-token" not in page.text
