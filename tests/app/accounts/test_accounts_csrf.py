"""CSRF: every state-changing browser request needs the session's token; Bearer calls do not."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from app.accounts.deps import CurrentUser
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import PASSWORD, csrf_from, form_token, sign_up


def test_login_without_token_is_refused_with_a_clear_message(client: TestClient) -> None:
    form_token(client)  # the browser has a session
    response = client.post("/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "security token of this form is missing or out of date" in response.text


def test_post_without_any_session_is_refused(client: TestClient) -> None:
    response = client.post("/logout")
    assert response.status_code == 403
    assert "reload the page" in response.text


def test_token_from_another_session_is_refused(client: TestClient, settings: Settings) -> None:
    sign_up(client, "ada@example.org")
    with TestClient(create_app(settings)) as attacker:
        foreign = form_token(attacker, "/login")
    response = client.post("/account/tokens", data={"name": "x", "csrf_token": foreign})
    assert response.status_code == 403
    assert client.get("/account").text.count("Revoke") == 0


def test_token_in_form_field_or_header_is_accepted(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    token = csrf_from(client.get("/account").text)
    assert (
        client.post("/account/tokens", data={"name": "a", "csrf_token": token}).status_code == 201
    )
    by_header = client.post("/account/tokens", data={"name": "b"}, headers={"X-CSRF-Token": token})
    assert by_header.status_code == 201


def test_login_rotates_the_token(client: TestClient) -> None:
    before = form_token(client, "/signup")
    sign_up(client, "ada@example.org")
    after = csrf_from(client.get("/account").text)
    assert after != before
    stale = client.post("/account/tokens", data={"name": "a", "csrf_token": before})
    assert stale.status_code == 403


def test_multipart_forms_carry_the_token_in_their_first_field(settings: Settings) -> None:
    app = create_app(settings)
    router = APIRouter()

    @router.post("/upload-probe")
    async def upload_probe(request: Request, user: CurrentUser) -> dict[str, int]:
        form = await request.form()
        upload = form["file"]
        assert not isinstance(upload, str)
        return {"size": len(await upload.read())}

    app.include_router(router)
    with TestClient(app) as client:
        sign_up(client, "ada@example.org")
        token = csrf_from(client.get("/account").text)
        payload = b"x" * 300_000  # bigger than what the middleware scans for the token
        ok = client.post(
            "/upload-probe", data={"csrf_token": token}, files={"file": ("p.csv", payload)}
        )
        assert ok.status_code == 200 and ok.json() == {"size": len(payload)}
        refused = client.post("/upload-probe", files={"file": ("p.csv", payload)})
        assert refused.status_code == 403
        # One-word fields and CRLF file lines after the token must not be taken for it.
        later_words = client.post(
            "/upload-probe",
            data={"csrf_token": token, "phase": "development", "description": "baseline"},
            files={"file": ("p.csv", b"id,value\r\n1,2\r\nend\r\n")},
        )
        assert later_words.status_code == 200, later_words.text


def test_bearer_requests_are_exempt_and_json_refusals_for_the_api(client: TestClient) -> None:
    response = client.post("/api/v1/anything", json={})
    assert response.status_code == 403
    assert response.json()["error"]["status"] == 403
    # With a Bearer header the request reaches routing (here: no such route), CSRF untouched.
    bearer = client.post("/api/v1/anything", json={}, headers={"Authorization": "Bearer x"})
    assert bearer.status_code == 404


def test_pages_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    # The interactive API docs need FastAPI's own scripts, so they go without the policy.
    assert "content-security-policy" not in client.get("/api/docs").headers
