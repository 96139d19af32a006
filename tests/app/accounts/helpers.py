"""What the account tests do again and again, through the site's own forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

APP_URL = "http://testserver"
PROVIDER_NAMES = ("testidp", "other")
PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def form_token(client: TestClient, path: str = "/login") -> str:
    return csrf_from(client.get(path).text)


def sign_up(
    client: TestClient, email: str, *, name: str = "Ada Lovelace", password: str = PASSWORD
) -> None:
    token = form_token(client, "/signup")
    response = client.post(
        "/signup",
        data={"name": name, "email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    token = form_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    status: int = response.status_code
    return status


def log_out(client: TestClient) -> None:
    token = csrf_from(client.get("/account").text)
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
