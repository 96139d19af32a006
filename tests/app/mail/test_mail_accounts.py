"""Password reset, address verification and password change, through a real SMTP server.

Every mail here goes the production way: the page writes the outbox row and wakes the mail
queue, a real RQ worker sends it over SMTP to the aiosmtpd server the fixture started, and
the test reads what arrived.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from app.core.settings import Settings
from tests.app.accounts.helpers import (
    PASSWORD,
    browser,
    csrf_from,
    form_token,
    log_in,
    me_status,
)
from tests.app.mail.mail_helpers import SmtpServer, html_of, outbox, run_mail_worker, text_of

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"http://testserver(/[\w/]+\?token=[\w.\-]+)")


def sign_up(client: TestClient, email: str, *, lang: str = "it") -> None:
    token = form_token(client, f"/signup?lang={lang}")
    response = client.post(
        f"/signup?lang={lang}",
        data={"name": "Ada Lovelace", "email": email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def ask_for_reset(client: TestClient, email: str) -> str:
    token = form_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": email, "csrf_token": token})
    assert response.status_code == 200, response.text
    return response.text


def link_in(text: str) -> str:
    found = LINK.search(text)
    assert found, f"no link in {text!r}"
    return found.group(1)


def use_reset_link(client: TestClient, path: str, password: str = NEW_PASSWORD) -> int:
    page = client.get(path)
    if page.status_code != 200:
        return page.status_code
    token = dict(pair.split("=", 1) for pair in [urlsplit(path).query])["token"]
    response = client.post(
        "/password/reset",
        data={"token": token, "password": password, "csrf_token": csrf_from(page.text)},
    )
    status: int = response.status_code
    return status


@pytest.mark.parametrize(
    ("lang", "subject", "sentence"),
    [
        ("it", "Reimposta la password di Marea", "Il link funziona una volta sola"),
        ("en", "Reset your Marea password", "The link works once"),
    ],
)
def test_the_reset_mail_arrives_in_the_language_of_the_account(
    site: TestClient,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    lang: str,
    subject: str,
    sentence: str,
) -> None:
    sign_up(browser(site), "ada@example.org", lang=lang)
    ask_for_reset(browser(site, ip="203.0.113.9"), "ada@example.org")
    run_mail_worker(site, mail_settings)

    [reset] = [
        m
        for m in smtp_server.inbox.to("ada@example.org")
        if "Marea" in m["Subject"] and m["Subject"] == subject
    ]
    assert reset["From"] == "Marea <noreply@marea.example>"
    assert reset["Reply-To"] == "organisers@marea.example"
    assert reset["Content-Language"] == lang
    assert sentence in text_of(reset)
    assert sentence in html_of(reset)
    assert link_in(text_of(reset)) == link_in(html_of(reset).replace("&amp;", "&"))


def test_a_name_with_markup_is_escaped_in_the_html_mail(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    client = browser(site)
    token = form_token(client, "/signup")
    client.post(
        "/signup",
        data={
            "name": "<b>Eve</b>",
            "email": "eve@example.org",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    run_mail_worker(site, mail_settings)
    [verify] = smtp_server.inbox.to("eve@example.org")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html_of(verify)
    assert "<b>Eve</b>" not in html_of(verify)
    assert "<b>Eve</b>" in text_of(verify)  # plain text is not HTML: shown as typed


def test_the_reset_link_works_once_and_ends_every_session(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    owner = browser(site)
    sign_up(owner, "ada@example.org")
    laptop = browser(site, ip="203.0.113.2")
    assert log_in(laptop, "ada@example.org") == 303
    ask_for_reset(browser(site, ip="203.0.113.9"), "ada@example.org")
    run_mail_worker(site, mail_settings)
    [reset] = [m for m in smtp_server.inbox.to("ada@example.org") if "password" in m["Subject"]]
    path = link_in(text_of(reset))

    stranger = browser(site, ip="203.0.113.3")
    assert use_reset_link(stranger, path) == 200
    assert me_status(owner) == 401 and me_status(laptop) == 401  # every session ended
    assert log_in(browser(site, ip="203.0.113.4"), "ada@example.org", NEW_PASSWORD) == 303
    assert log_in(browser(site, ip="203.0.113.5"), "ada@example.org", PASSWORD) == 401

    again = stranger.get(path + "&lang=en")
    assert again.status_code == 410
    assert "already been used" in again.text
    token = urlsplit(path).query.removeprefix("token=")
    replay = stranger.post(
        "/password/reset",
        data={
            "token": token,
            "password": "yet another one!",
            "csrf_token": form_token(stranger, "/password/forgot"),
        },
    )
    assert replay.status_code == 410
    assert log_in(browser(site, ip="203.0.113.6"), "ada@example.org", "yet another one!") == 401


def test_an_expired_reset_link_is_refused_with_a_clear_message(
    site: TestClient,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_up(browser(site), "ada@example.org", lang="en")
    made_at = int(time.time()) - mail_settings.password_reset_ttl_s - 60
    with monkeypatch.context() as patch:  # the link is made as if an hour and a minute ago
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
        ask_for_reset(browser(site, ip="203.0.113.9"), "ada@example.org")
    run_mail_worker(site, mail_settings)
    [reset] = [m for m in smtp_server.inbox.to("ada@example.org") if "password" in m["Subject"]]
    client = browser(site, ip="203.0.113.3")
    page = client.get(link_in(text_of(reset)) + "&lang=en")
    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert '/password/forgot"' in page.text
    assert log_in(browser(site, ip="203.0.113.4"), "ada@example.org") == 303  # unchanged


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    sign_up(browser(site), "ada@example.org")
    run_mail_worker(site, mail_settings)
    before = len(outbox(site))
    smtp_server.inbox.messages.clear()

    def answer(email: str) -> str:
        text = ask_for_reset(browser(site, ip="203.0.113.7"), email)
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", text)
        return re.sub(r'value="[^"]*@example.org"', "", text)

    known, unknown = answer("ada@example.org"), answer("nobody@example.org")
    assert known == unknown
    assert 'id="reset-sent"' in known
    run_mail_worker(site, mail_settings)
    assert [m["To"] for m in smtp_server.inbox.messages] == ["ada@example.org"]
    assert [m.to_address for m in outbox(site)[before:]] == ["ada@example.org"]


def test_asking_too_often_sends_no_more_mail_and_then_is_paused(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    sign_up(browser(site), "ada@example.org")
    client = browser(site, ip="203.0.113.8")
    for _ in range(mail_settings.mail_requests_per_address + 2):
        assert 'id="reset-sent"' in ask_for_reset(client, "ada@example.org")
    run_mail_worker(site, mail_settings)
    resets = [m for m in smtp_server.inbox.to("ada@example.org") if "password" in m["Subject"]]
    assert len(resets) == mail_settings.mail_requests_per_address
    for n in range(mail_settings.mail_requests_per_ip):
        token = form_token(client, "/password/forgot")
        last = client.post(
            "/password/forgot", data={"email": f"other{n}@example.org", "csrf_token": token}
        )
    assert last.status_code == 429
    assert last.headers["Retry-After"]


def test_the_verification_link_verifies_the_address_once(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    client = browser(site)
    sign_up(client, "ada@example.org", lang="en")
    assert "not verified" in client.get("/account?lang=en").text
    run_mail_worker(site, mail_settings)
    [verify] = smtp_server.inbox.to("ada@example.org")
    assert verify["Subject"] == "Confirm your address for Marea"
    path = link_in(text_of(verify))

    page = client.get(path)
    assert page.status_code == 200
    done = client.post(
        "/email/verify",
        data={"token": path.split("token=")[1], "csrf_token": csrf_from(page.text)},
    )
    assert done.status_code == 200 and 'id="link-done"' in done.text
    status = client.get("/account?lang=en").text
    assert re.search(r'id="email-status">ada@example.org \(verified\)', status)
    assert client.get(path).status_code == 410


def test_a_new_address_is_used_only_once_its_link_is_opened(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    client = browser(site)
    sign_up(client, "ada@example.org", lang="en")
    page = client.get("/account")
    moved = client.post(
        "/account/email",
        data={
            "new_email": "ada@new.example.org",
            "address_password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303
    run_mail_worker(site, mail_settings)
    [verify] = smtp_server.inbox.to("ada@new.example.org")
    assert "ada@example.org" in client.get("/account").text  # not moved yet
    path = link_in(text_of(verify))
    confirm = client.get(path)
    client.post(
        "/email/verify",
        data={"token": path.split("token=")[1], "csrf_token": csrf_from(confirm.text)},
    )
    assert "ada@new.example.org (verified)" in client.get("/account?lang=en").text
    assert client.get(path).status_code == 410


def test_changing_the_password_ends_the_other_sessions_and_says_so(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    here = browser(site)
    sign_up(here, "ada@example.org", lang="en")
    there = browser(site, ip="203.0.113.2")
    assert log_in(there, "ada@example.org") == 303

    page = here.get("/account?lang=en")
    wrong = here.post(
        "/account/password",
        data={
            "current_password": "not the password",
            "new_password": NEW_PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert wrong.status_code == 422 and "The current password is not right." in wrong.text
    assert me_status(there) == 200

    changed = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert changed.status_code == 200
    assert "Your password has been changed." in changed.text
    assert "1 other session has been ended" in changed.text
    assert me_status(here) == 200 and me_status(there) == 401
    assert log_in(browser(site, ip="203.0.113.4"), "ada@example.org", NEW_PASSWORD) == 303
    run_mail_worker(site, mail_settings)
    subjects = [m["Subject"] for m in smtp_server.inbox.to("ada@example.org")]
    assert "Your Marea password was changed" in subjects
