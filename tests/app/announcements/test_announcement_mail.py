"""An announcement mailed to its audience: one mail per verified person, in their language,
through the real SMTP server."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.core.settings import Settings
from tests.app.announcements.ann_helpers import build_world, post
from tests.app.mail.mail_helpers import SmtpServer, html_of, run_mail_worker, text_of
from tests.app.web.web_helpers import engine_of


def test_the_registered_get_one_mail_each_in_their_language(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    world = build_world(site)
    with Session(engine_of(site)) as db:  # sea_done is registered but never proved the address
        user = db.exec(select(User).where(User.email == "sea_done@example.org")).one()
        user.email_verified = False
        db.add(user)
        db.commit()
    org = world.people["organiser"]
    assert post(org, "/events/festa/announcements/manage", audience="registered", mail="yes") == 303
    assert (
        "2 e-mails are on their way."
        in org.client.get("/events/festa/announcements/manage?lang=en").text
    )
    run_mail_worker(site, mail_settings)

    def announcements(address: str) -> list[object]:
        return [
            m
            for m in smtp_server.inbox.to(address)
            if m["Subject"].startswith(("Annuncio", "Announcement"))
        ]

    [italian] = announcements("registered@example.org")
    assert italian["Subject"] == "Annuncio: Cambio di orario"
    assert "La consegna è **alle 18**." in text_of(italian)
    assert "<strong>alle 18</strong>" in html_of(italian) and "Leggilo sul sito" in html_of(italian)
    assert "/events/festa/announcements#announcement-" in text_of(italian)
    [english] = announcements("english@example.org")
    assert english["Subject"] == "Announcement: Change of time"
    assert "Submissions close **at 6 pm**." in text_of(english)
    assert "Read it on the site" in html_of(english)
    for nobody in ("sea_done", "sea_idle", "outsider", "judge", "air_member", "organiser"):
        assert announcements(f"{nobody}@example.org") == [], nobody


def test_no_mail_unless_asked(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    world = build_world(site)
    assert post(world.people["organiser"], "/organise/sea/announcements", audience="teams") == 303
    run_mail_worker(site, mail_settings)
    for name in ("sea_done", "sea_idle"):
        assert not [
            m for m in smtp_server.inbox.to(f"{name}@example.org") if "nnunc" in m["Subject"]
        ]
