"""Notifications by mail: each person's choices, the language they chose, one-click unsubscribe
(RFC 8058) per kind, and the senders (results, submission results, phase reminders, team
invitations), through the real SMTP server and RQ worker."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.core.db import session_scope, utcnow
from app.core.settings import Settings
from app.notifications import senders, service
from app.notifications.models import Notice
from app.submissions.models import Status, Submission
from app.teams.models import Membership
from tests.app.mail.mail_helpers import SmtpServer, html_of, outbox, run_mail_worker, text_of
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for


def _post(who: Person, path: str, data: dict[str, object] | list[tuple[str, str]]) -> str:
    token = who.csrf("/account")
    form = (
        [*data, ("csrf_token", token)] if isinstance(data, list) else {**data, "csrf_token": token}
    )
    answer = who.client.post(path, data=form, follow_redirects=True)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return " ".join(answer.text.split())


def _to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    """What `address` got besides the verification mail every sign-up sends."""
    return [m for m in smtp.inbox.to(address) if "/email/verify" not in text_of(m)]


def _choose_english(who: Person) -> None:
    page = _post(who, "/account/language", {"language": "en"})
    assert "Saved: the site and its mail to you now speak this language." in page
    assert who.client.cookies.get("lang") == "en"


def _submission(db: Session, challenge_id: int, phase_id: int, team_id: int, user_id: int) -> int:
    made = Submission(
        challenge_id=challenge_id, phase_id=phase_id, team_id=team_id, user_id=user_id,
        status=Status.scored, kind="predictions", file_sha256="0" * 64,
        filename="predictions.csv", size=1,
    )  # fmt: skip
    db.add(made)
    db.flush()
    assert made.id is not None
    return made.id


def test_choices_on_the_account_page_and_the_language_of_the_mail(
    site: TestClient, mail_settings: Settings
) -> None:
    ada = person(site, "ada@example.org", "Ada")
    page = " ".join(ada.client.get("/account?lang=en").text.split())
    assert "Notifications by e-mail" in page
    assert 'value="submission_result">' in page  # opt-in: not ticked
    assert 'value="results" checked>' in page
    saved = _post(
        ada,
        "/account/notifications?lang=en",
        {"notice": ["submission_result", "announcement"]},
    )
    assert "Your choice of notifications has been saved." in saved
    with session_scope(engine_of(site)) as db:
        chosen = service.choices(db, ada.user_id)
    assert chosen[Notice.submission_result] and chosen[Notice.announcement]
    assert not chosen[Notice.results] and not chosen[Notice.phase_reminder]
    assert "Choose Italian or English." in _post(
        ada, "/account/language?lang=en", {"language": "fr"}
    )
    _choose_english(ada)
    with session_scope(engine_of(site)) as db:
        user = db.get(User, ada.user_id)
        assert user is not None and user.language == "en"


def test_results_are_mailed_once_to_the_teams_members_with_a_one_click_way_out(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    cid, _pid = challenge(site)
    ada = person(site, "ada@example.org", "Ada")
    bruno = person(site, "bruno@example.org", "Bruno")
    outsider = person(site, "olga@example.org", "Olga")
    unverified = person(site, "ugo@example.org", "Ugo", verified=False)
    _choose_english(bruno)
    team_id = team_for(site, cid, ada, "Delfini")
    with session_scope(engine_of(site)) as db:
        for member in (bruno, unverified):
            db.add(Membership(team_id=team_id, user_id=member.user_id, challenge_id=cid))
    organiser = person(site, "org@example.org", "Orsola", Role.organiser)
    token = organiser.csrf("/organise/sea-temp")
    for _ in range(2):  # revealed twice (hidden in between, or a double click): one mail
        answer = organiser.client.post(
            "/organise/sea-temp/reveal",
            data={"confirm": "yes", "early": "yes", "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    run_mail_worker(site, mail_settings)

    assert _to(smtp_server, outsider.email) == [] and _to(smtp_server, unverified.email) == []
    [italian] = _to(smtp_server, ada.email)
    assert italian["Subject"] == "I risultati di Temperatura sono pubblicati"
    assert italian["Content-Language"] == "it"
    [english] = _to(smtp_server, bruno.email)
    assert english["Subject"] == "The results of Temperature are out"
    assert "/challenges/sea-temp/leaderboard" in text_of(english)
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(.+)>", english["List-Unsubscribe"])
    assert (
        link is not None and link.group(1) in html_of(english) and link.group(1) in text_of(english)
    )

    # A mail program posts the one-click body: no session, no CSRF token, and it works.
    path = urlsplit(link.group(1)).path
    mailer = TestClient(site.app, base_url="http://testserver")
    done = mailer.post(f"{path}?lang=en", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "will no longer get mail" in done.text
    with session_scope(engine_of(site)) as db:
        assert not service.wants(db, bruno.user_id, Notice.results)
        assert service.wants(db, bruno.user_id, Notice.phase_reminder)  # that kind only
        assert service.wants(db, ada.user_id, Notice.results)


def test_an_unsubscribe_link_opened_in_a_browser_asks_first_and_a_forged_one_is_refused(
    site: TestClient, mail_settings: Settings
) -> None:
    ada = person(site, "ada@example.org", "Ada")
    link = service.unsubscribe_url(mail_settings, ada.user_id, Notice.phase_reminder)
    path = urlsplit(link).path
    visitor = TestClient(site.app, base_url="http://testserver")
    shown = visitor.get(f"{path}?lang=en")
    assert shown.status_code == 200 and "Stop sending mail to ada@example.org" in shown.text
    with session_scope(engine_of(site)) as db:
        assert service.wants(db, ada.user_id, Notice.phase_reminder)  # a GET changes nothing
    forged = path.replace("unsubscribe/", "unsubscribe/x")
    for answer in (visitor.get(f"{forged}?lang=en"), visitor.post(f"{forged}?lang=en")):
        assert answer.status_code == 422 and "not valid" in answer.text
    other = service.unsubscribe_url(mail_settings, ada.user_id + 999, Notice.results)
    assert visitor.post(urlsplit(other).path).status_code == 422  # no such account
    with session_scope(engine_of(site)) as db:
        assert service.wants(db, ada.user_id, Notice.phase_reminder)


def test_a_submission_result_is_mailed_only_to_who_asked_for_it_and_only_once(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    cid, pid = challenge(site)
    ada = person(site, "ada@example.org", "Ada")
    team_id = team_for(site, cid, ada, "Delfini")
    with session_scope(engine_of(site)) as db:
        first = _submission(db, cid, pid, team_id, ada.user_id)
        assert senders.submission_result(db, mail_settings, first) == []  # opt-in: off
    _post(ada, "/account/notifications", {"notice": ["submission_result"]})
    _choose_english(ada)
    with session_scope(engine_of(site)) as db:
        second = _submission(db, cid, pid, team_id, ada.user_id)
        assert len(senders.submission_result(db, mail_settings, second)) == 1
        assert senders.submission_result(db, mail_settings, second) == []  # a retried job
    run_mail_worker(site, mail_settings)
    [mail] = _to(smtp_server, ada.email)
    assert mail["Subject"] == f"Submission {second} to Temperature has been scored"
    assert f"/submissions/{second}" in text_of(mail)
    assert "rmse" not in text_of(mail).lower()  # no score in a mail


def test_phase_reminders_go_once_per_date_to_the_teams(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    now = utcnow()
    cid, pid = challenge(site, start=now - timedelta(days=5), end=now + timedelta(hours=6))
    ada = person(site, "ada@example.org", "Ada")
    person(site, "olga@example.org", "Olga")  # in no team
    team_for(site, cid, ada, "Delfini")
    engine = engine_of(site)
    with session_scope(engine) as db:
        assert len(senders.phase_reminders(db, mail_settings)) == 1
    with session_scope(engine) as db:
        assert senders.phase_reminders(db, mail_settings) == []  # the next sweep: nothing new
        from app.challenges.models import Phase

        phase = db.get(Phase, pid)
        assert phase is not None
        phase.end = now + timedelta(hours=20)  # the deadline moved: a reminder for the new one
        db.add(phase)
    with session_scope(engine) as db:
        assert len(senders.phase_reminders(db, mail_settings)) == 1
    run_mail_worker(site, mail_settings)
    reminders = _to(smtp_server, ada.email)
    subjects = sorted(m["Subject"] for m in reminders)
    assert len(subjects) == 2
    assert all(s.startswith("Sviluppo di Temperatura chiude il ") for s in subjects)
    assert "(Europe/Rome)" in text_of(reminders[0])
    assert _to(smtp_server, "olga@example.org") == []


def test_the_captain_invites_by_mail_and_the_link_lets_the_invitee_join(
    site: TestClient, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    cid, _pid = challenge(site)
    ada = person(site, "ada@example.org", "Ada")
    bruno = person(site, "bruno@example.org", "Bruno")
    _choose_english(bruno)
    team_for(site, cid, ada, "Delfini")
    page = "/challenges/sea-temp/team"
    token = ada.csrf(page)
    bad = ada.client.post(
        f"{page}/invite?lang=en", data={"email": "not an address", "csrf_token": token}
    )
    assert bad.status_code == 422 and "not an email address" in bad.text
    sent = ada.client.post(
        f"{page}/invite?lang=en", data={"email": "Bruno@Example.org", "csrf_token": token},
        follow_redirects=True,
    )  # fmt: skip
    assert "Invitation sent" in sent.text
    # Only the captain invites: a member who is not is refused.
    with session_scope(engine_of(site)) as db:
        team_id = db.exec(select(Membership.team_id).where(Membership.user_id == ada.user_id)).one()
        carla = person(site, "carla@example.org", "Carla")
        db.add(Membership(team_id=team_id, user_id=carla.user_id, challenge_id=cid))
    refused = carla.client.post(
        f"{page}/invite", data={"email": "x@example.org", "csrf_token": carla.csrf(page)}
    )
    assert refused.status_code == 403
    run_mail_worker(site, mail_settings)
    [mail] = _to(smtp_server, "bruno@example.org")
    assert mail["Subject"] == "Ada invites you to the team Delfini (Temperature)"
    assert "List-Unsubscribe" not in mail  # an invitation is not a notification one opts into
    link = re.search(r"(http://testserver/challenges/sea-temp/join/\S+)", text_of(mail))
    assert link is not None
    path = urlsplit(link.group(1)).path
    join = bruno.client.post(path, data={"csrf_token": bruno.csrf(path)}, follow_redirects=True)
    assert join.status_code == 200
    with session_scope(engine_of(site)) as db:
        assert (
            db.exec(
                select(Membership).where(
                    Membership.user_id == bruno.user_id, Membership.team_id == team_id
                )
            ).first()
            is not None
        )
    assert [m.kind for m in outbox(site) if m.kind != "verify_email"] == ["team_invitation"]


def test_no_notification_for_an_unverified_address(
    site: TestClient, mail_settings: Settings
) -> None:
    challenge(site)
    ugo = person(site, "ugo@example.org", "Ugo", verified=False)
    with session_scope(engine_of(site)) as db:
        user = db.get(User, ugo.user_id)
        assert user is not None
        assert service.notify(db, mail_settings, user=user, notice=Notice.results,
                              mail_kind="results_published",
                              context={"challenge": {"title": {"en": "T"}, "slug": "t"}, "link": "x"}) is None  # fmt: skip
        user.email_verified = True
        assert service.notify(db, mail_settings, user=user, notice=Notice.results,
                              mail_kind="results_published",
                              context={"challenge": {"title": {"en": "T"}, "slug": "t"}, "link": "x"}) is not None  # fmt: skip
    assert [m.kind for m in outbox(site) if m.to_address == ugo.email] == [
        "verify_email",
        "results_published",
    ]
