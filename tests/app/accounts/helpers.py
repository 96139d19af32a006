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


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def browser(site: TestClient, ip: str = "203.0.113.1", user_agent: str = FIREFOX) -> TestClient:
    """Another browser on the same site: its own cookie jar, client address and User-Agent."""
    return TestClient(
        site.app, base_url=APP_URL, client=(ip, 50000), headers={"User-Agent": user_agent}
    )


def copy_of(client: TestClient) -> TestClient:
    """What someone who copied this browser's cookies gets: the same cookies elsewhere."""
    return TestClient(
        client.app, base_url=APP_URL, client=("198.51.100.66", 50000), cookies=client.cookies
    )


def me_status(client: TestClient) -> int:
    """200 while the browser's session is alive, 401 once it is not."""
    status: int = client.get("/api/v1/me").status_code
    return status
