"""A mail is never lost: a refusing or absent SMTP server means retries, then `failed` on
/admin/outbox with the server's words, and an administrator's resend delivers it; without
any SMTP server the mail is held there, readable."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import create_user
from app.core.settings import Settings
from app.mail.models import MailStatus, OutboxMail
from app.queue.mail_jobs import wake
from tests.app.accounts.helpers import PASSWORD, browser, csrf_from, form_token, log_in
from tests.app.mail.mail_helpers import SmtpServer, free_port, outbox, run_mail_worker


def an_admin(site: TestClient) -> TestClient:
    with Session(site.app.state.engine) as db:  # type: ignore[attr-defined]
        create_user(db, email="root@example.org", name="Root", password=PASSWORD, role=Role.admin)
        db.commit()
    admin = browser(site, ip="198.51.100.1")
    assert log_in(admin, "root@example.org") == 303
    return admin


def ask_for_reset(site: TestClient, email: str) -> None:
    client = browser(site, ip="203.0.113.9")
    token = form_token(client, "/password/forgot")
    assert client.post("/password/forgot", data={"email": email, "csrf_token": token}).is_success


def test_a_refusing_server_gets_every_attempt_then_the_mail_fails_visibly_and_is_resent(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    admin = an_admin(site)
    run_mail_worker(site, mail_settings)
    smtp_server.inbox.refuse = True  # 451 to every mail from now on
    ask_for_reset(site, "root@example.org")
    run_mail_worker(site, mail_settings)

    [mail] = [m for m in outbox(site) if m.kind == "password_reset"]
    assert mail.status == MailStatus.failed
    assert mail.attempts == mail_settings.mail_max_attempts == smtp_server.inbox.refused
    assert "451" in mail.last_error and "Mailbox busy" in mail.last_error
    assert smtp_server.inbox.to("root@example.org") == []

    listing = admin.get("/admin/outbox?lang=en")
    assert listing.status_code == 200
    assert f'data-mail="{mail.id}" data-status="failed"' in listing.text
    assert "451" in listing.text and "Mailbox busy" in listing.text
    page = admin.get(f"/admin/outbox/{mail.id}?lang=en")
    assert "Il link funziona una volta sola" in page.text  # readable; Italian, the default

    smtp_server.inbox.refuse = False
    resent = admin.post(
        f"/admin/outbox/{mail.id}/resend",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert resent.status_code == 303
    run_mail_worker(site, mail_settings)
    [again] = [m for m in outbox(site) if m.id == mail.id]
    assert again.status == MailStatus.sent and again.attempts == 1
    [arrived] = smtp_server.inbox.to("root@example.org")
    assert arrived["Subject"] == mail.subject
    # A sent mail is not sent twice by asking again.
    assert (
        admin.post(
            f"/admin/outbox/{mail.id}/resend", data={"csrf_token": csrf_from(page.text)}
        ).status_code
        == 409
    )


def test_a_server_nobody_listens_on_leaves_the_mail_retried_then_failed(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    mail_settings.smtp_url = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    ask_for_reset(browser(site), "nobody@example.org")  # no account: no mail at all
    signup = browser(site, ip="203.0.113.4")
    token = form_token(signup, "/signup")
    signup.post(
        "/signup",
        data={"name": "Ada", "email": "ada@example.org", "password": PASSWORD, "csrf_token": token},
    )
    run_mail_worker(site, mail_settings)
    [mail] = outbox(site)
    assert mail.to_address == "ada@example.org"
    assert mail.status == MailStatus.failed
    assert mail.attempts == mail_settings.mail_max_attempts
    assert "ConnectionRefusedError" in mail.last_error


def test_without_an_smtp_server_mail_is_held_logged_and_readable_by_admins(
    site: TestClient,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mail_settings.smtp_url = ""
    admin = an_admin(site)
    ask_for_reset(site, "root@example.org")
    with caplog.at_level(logging.INFO, logger="app.mail.service"):
        run_mail_worker(site, mail_settings)
    [mail] = [m for m in outbox(site) if m.kind == "password_reset"]
    assert mail.status == MailStatus.held
    assert smtp_server.inbox.messages == []
    assert "/password/reset?token=" in caplog.text  # a developer can follow the link
    listing = admin.get("/admin/outbox?lang=en")
    assert 'id="no-smtp"' in listing.text
    page = admin.get(f"/admin/outbox/{mail.id}")
    assert "/password/reset?token=" in page.text


@pytest.mark.parametrize("who", ["anonymous", "participant"])
def test_only_administrators_read_the_outbox(
    site: TestClient, mail_settings: Settings, who: str
) -> None:
    client = browser(site)
    if who == "participant":
        token = form_token(client, "/signup")
        client.post(
            "/signup",
            data={"name": "P", "email": "p@example.org", "password": PASSWORD, "csrf_token": token},
        )
    answer = client.get("/admin/outbox", follow_redirects=False)
    assert answer.status_code == (303 if who == "anonymous" else 403)


def test_another_sites_waiting_mail_with_the_same_number_does_not_hold_this_one(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    """Two sites on one Redis (or two test databases) number their mails from 1 alike."""
    elsewhere = mail_settings.model_copy(update={"queue_name": f"{mail_settings.queue_name}-b"})
    wake(elsewhere, [OutboxMail(id=1, attempts=0, to_address="x@example.org", kind="k",
                                language="it", subject="s", body_text="t", body_html="h",
                                status=MailStatus.queued)])  # fmt: skip
    an_admin(site)
    ask_for_reset(site, "root@example.org")
    run_mail_worker(site, mail_settings)
    [mail] = [m for m in outbox(site) if m.kind == "password_reset"]
    assert mail.id == 1 and mail.status == MailStatus.sent
    assert len(smtp_server.inbox.to("root@example.org")) == 1
