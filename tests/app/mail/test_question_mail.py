"""An answer to a question is mailed to each verified member of the asking team, in their
own language, once (an edited answer sends nothing more)."""

from __future__ import annotations

from email.message import EmailMessage

from fastapi.testclient import TestClient

from app.accounts.models import User
from app.core.db import session_scope
from app.core.settings import Settings
from tests.app.mail.mail_helpers import SmtpServer, html_of, outbox, run_mail_worker, text_of
from tests.app.questions.question_helpers import ORGANISE, ask, join, post, question_ids, world
from tests.app.web.web_helpers import engine_of, person


def _answers(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    """The answers' mails only (signing up sent a verification mail too)."""
    return [
        m
        for m in smtp.inbox.to(address)
        if "answered" in m["Subject"] or "risposta" in m["Subject"]
    ]


def _speaks(site: TestClient, user_id: int, lang: str) -> None:
    with session_scope(engine_of(site)) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.language = lang
        session.add(user)


def test_the_asking_team_is_mailed_the_answer_in_each_members_language(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    w = world(site)
    carlo = person(site, "carlo@example.org", "Carlo", verified=False)
    with session_scope(engine_of(site)) as session:
        from sqlmodel import select

        from app.teams.models import Team

        delfini = session.exec(select(Team).where(Team.name == "Delfini")).one()
        assert delfini.id is not None
        delfini_id = delfini.id
    join(site, delfini_id, carlo, w.cid)
    _speaks(site, w.ada.user_id, "en")
    _speaks(site, w.bea.user_id, "it")
    assert ask(w.ada, "Can we use <b>satellite</b> images?")[0] == 303
    assert ask(w.eve, "Is the baseline allowed as a start?")[0] == 303
    first, second = question_ids(site)

    status, _, _ = post(w.boss, f"{ORGANISE}/{first}/answer", ORGANISE, answer="Only Sentinel-2.")
    assert status == 303
    assert "We e-mailed 2 people of the team." in w.boss.client.get(ORGANISE + "?lang=en").text
    post(w.boss, f"{ORGANISE}/{first}/answer", ORGANISE, answer="Only Sentinel-2 (L2A).")
    run_mail_worker(site, mail_settings)

    [english] = _answers(smtp_server, "ada@example.org")
    assert english["Subject"] == "Your question about Temperature has been answered"
    body = text_of(english)
    assert "Can we use <b>satellite</b> images?" in body and "Only Sentinel-2." in body
    assert "Only your team can read this answer." in body
    assert "/challenges/sea-temp/questions" in body
    html = html_of(english)
    assert "&lt;b&gt;satellite&lt;/b&gt;" in html and "<b>satellite" not in html
    [italian] = _answers(smtp_server, "bea@example.org")
    assert italian["Subject"] == "La tua domanda su Temperatura ha una risposta"
    assert "Solo la tua squadra può leggere questa risposta." in text_of(italian)
    assert _answers(smtp_server, "carlo@example.org") == []  # not verified
    assert _answers(smtp_server, "eve@example.org") == []  # another team's question
    assert _answers(smtp_server, "solo@example.org") == []

    post(w.boss, f"{ORGANISE}/{second}/publish", ORGANISE,
         wording="Is the baseline allowed as a start?", answer="Yes.")  # fmt: skip
    run_mail_worker(site, mail_settings)
    [published] = _answers(smtp_server, "eve@example.org")
    assert (
        "Gli organizzatori hanno pubblicato la domanda e la risposta per tutti i partecipanti."
        in text_of(published)
    )
    assert len(_answers(smtp_server, "ada@example.org")) == 1, "an edited answer mails nothing"
    answered = [m for m in outbox(site) if m.kind == "question_answered"]
    assert sorted(m.to_address for m in answered) == [
        "ada@example.org",
        "bea@example.org",
        "eve@example.org",
    ]
