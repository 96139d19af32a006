"""A role given on /organise/roles reaches its address by e-mail, in its owner's language."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.accounts.models import Role
from app.core.db import session_scope
from app.core.settings import Settings
from tests.app.accounts.helpers import browser
from tests.app.mail.mail_helpers import SmtpServer, html_of, run_mail_worker, text_of
from tests.app.mail.test_mail_accounts import sign_up
from tests.app.web.web_helpers import Person, engine_of, person
from tests.factories import make_challenge


def _give(admin: Person, email: str, what: str) -> int:
    token = admin.csrf("/organise/roles")
    response = admin.client.post(
        "/organise/roles?lang=en",
        data={"csrf_token": token, "email": email, "what": what},
    )
    assert "We sent them an e-mail saying so." in response.text
    return response.status_code


def test_an_invitation_to_a_role_is_mailed_in_the_recipients_language(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    with session_scope(engine_of(site)) as session:
        challenge, _phase = make_challenge(session, "sea-temp")
        challenge.title = {"it": "Temperatura del mare", "en": "Sea temperature"}
        session.add(challenge)
        session.flush()
        cid = challenge.id
    sign_up(browser(site, ip="203.0.113.7"), "dario@example.org", lang="en")

    admin = person(site, "admin@example.org", "Ada Admin", Role.admin)
    assert _give(admin, "nuova@example.org", f"challenge:{cid}:owner") == 200
    assert _give(admin, "dario@example.org", f"challenge:{cid}:judge") == 200
    run_mail_worker(site, mail_settings)

    [italian] = smtp_server.inbox.to("nuova@example.org")
    assert italian["Subject"] == "Hai un ruolo su Marea: Titolare della sfida Temperatura del mare"
    assert "Ada Admin ha dato all'indirizzo nuova@example.org" in text_of(italian)
    assert "/signup" in text_of(italian) and "/signup" in html_of(italian)
    [english] = [m for m in smtp_server.inbox.to("dario@example.org") if "role" in m["Subject"]]
    assert english["Subject"] == "You have a role on Marea: Judge of the challenge Sea temperature"
    assert "Log in with this address to use it:" in text_of(english)
    assert "/login" in html_of(english)
