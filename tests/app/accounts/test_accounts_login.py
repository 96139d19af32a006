"""Password login, logout, session cookie flags, and the rate limit on failures."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import PASSWORD, form_token, log_in, log_out, sign_up


def _account_page_status(client: TestClient) -> int:
    status: int = client.get("/account", follow_redirects=False).status_code
    return status


def test_login_and_logout(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    log_out(client)
    assert _account_page_status(client) == 303
    assert log_in(client, "ADA@example.org") == 303
    assert _account_page_status(client) == 200
    log_out(client)
    redirect = client.get("/account", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/login?next=%2Faccount"


def test_wrong_password_and_unknown_email_get_the_same_answer(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    log_out(client)
    pages = []
    for email, password in (
        ("ada@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
    ):
        token = form_token(client)
        response = client.post(
            "/login?lang=en", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        pages.append(response)
    assert _account_page_status(client) == 303


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(client: TestClient) -> None:
    sign_up(client, "ada@example.org")
    log_out(client)
    for asked, expected in (
        ("/account", "/account"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
    ):
        token = form_token(client)
        response = client.post(
            "/login",
            data={
                "email": "ada@example.org",
                "password": PASSWORD,
                "csrf_token": token,
                "next": asked,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("marea_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # base_url is plain http in this test


def test_session_cookie_is_secure_when_the_site_is_https(settings: Settings) -> None:
    settings.base_url = "https://marea.example"
    with TestClient(create_app(settings), base_url="https://marea.example") as https_client:
        response = https_client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_repeated_failures_for_one_email_get_429_with_retry_after(
    client: TestClient, settings: Settings
) -> None:
    sign_up(client, "ada@example.org")
    log_out(client)
    limit = settings.login_failures_per_email
    statuses = [log_in(client, "ada@example.org", "wrong password") for _ in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]  # the failure that reaches the limit says so
    token = form_token(client)
    blocked = client.post(
        "/login?lang=en",
        data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    # This browser made the failures (with its known-device cookie): the right password waits
    # here too. A stranger's failures never do this to the owner (test_accounts_lockout.py).
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["retry-after"])
    assert 0 < retry_after <= settings.login_window_s
    assert "Too many login attempts" in blocked.text and str(retry_after) in blocked.text
    assert _account_page_status(client) == 303
    # Another account is not locked by failures on this one.
    sign_up(client, "bea@example.org")
    assert _account_page_status(client) == 200


def test_failures_from_one_address_are_limited_across_emails(
    settings: Settings, redis_15: object
) -> None:
    settings.login_failures_per_ip = 3
    with TestClient(create_app(settings)) as client:
        statuses = [log_in(client, f"user{i}@example.org", "wrong password") for i in range(4)]
    assert statuses[:2] == [401, 401]
    assert statuses[3] == 429


def test_a_correct_login_resets_the_count_for_that_email(
    client: TestClient, settings: Settings
) -> None:
    sign_up(client, "ada@example.org")
    log_out(client)
    for _ in range(settings.login_failures_per_email - 1):
        assert log_in(client, "ada@example.org", "wrong password") == 401
    assert log_in(client, "ada@example.org") == 303
    log_out(client)
    for _ in range(settings.login_failures_per_email - 1):
        assert log_in(client, "ada@example.org", "wrong password") == 401
    assert log_in(client, "ada@example.org") == 303


def test_login_is_refused_with_503_when_redis_is_down(settings: Settings) -> None:
    settings.redis_url = "redis://127.0.0.1:1/0"
    with TestClient(create_app(settings)) as client:
        token = form_token(client)
        response = client.post(
            "/login", data={"email": "a@example.org", "password": PASSWORD, "csrf_token": token}
        )
    assert response.status_code == 503
    assert "il limitatore dei tentativi non raggiunge Redis" in response.text  # Italian by default
