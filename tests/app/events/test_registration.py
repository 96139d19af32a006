"""Registering for an event: answers and consents recorded with their version, capacity and
the waiting list, approval, withdrawal that asks first, and the organisers' list and export."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.accounts.models import Role
from app.core.db import session_scope, utcnow
from app.events.load import load_event
from app.events.models import Registration
from app.mail.models import OutboxMail
from tests.app.events.test_event_site import CHALLENGES, DEMO, SLUG, add_challenges, runtime_of
from tests.app.web.web_helpers import Person, engine_of, person

ANSWERS = {"q_profile": "student", "q_skills": ["code", "sea"], "c_conduct": "yes",
           "c_privacy": "yes"}  # fmt: skip


def iso(days: float) -> str:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0).isoformat()


def make_event(
    client: TestClient, tmp_path: Path, *, capacity: int = 120, mode: str = "open",
    opens: float = -1, closes: float = 10,
) -> None:  # fmt: skip
    """The demo event with its registration open around now (or not), loaded and published."""
    folder = tmp_path / "event"
    shutil.copytree(DEMO, folder)
    text = (folder / "event.yaml").read_text()
    dates = {"registration_opens": opens, "registration_closes": closes,
             "hacking_starts": max(opens, -1), "hacking_ends": 20, "results": 21}  # fmt: skip
    for key, days in dates.items():
        text = re.sub(rf"  {key}: \S+", f"  {key}: {iso(days)}", text)
    text = text.replace("capacity: 120", f"capacity: {capacity}")
    text = text.replace("  mode: open", f"  mode: {mode}")
    (folder / "event.yaml").write_text(text)
    add_challenges(client, *CHALLENGES)
    load_event(runtime_of(client), folder, publish=True)


def register(who: Person, data: dict[str, object] | None = None, lang: str = "en") -> str:
    path = f"/events/{SLUG}/register"
    form = {**(ANSWERS if data is None else data), "csrf_token": who.csrf(path)}
    answer = who.client.post(f"{path}?lang={lang}", data=form, follow_redirects=True)
    return " ".join(answer.text.split())


def status_of(client: TestClient, who: Person) -> str | None:
    with session_scope(engine_of(client)) as session:
        row = session.exec(select(Registration).where(Registration.user_id == who.user_id)).first()
        return row.status if row else None


def test_registering_records_answers_and_the_consents_accepted(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    ada = person(client, "ada@example.org", "Ada")
    form = ada.client.get(f"/events/{SLUG}/register?lang=it").text
    assert "Chi sei?" in form and "Ho letto e accetto il codice di condotta" in form
    assert "You are registered." in register(ada)
    with session_scope(engine_of(client)) as session:
        row = session.exec(select(Registration)).one()
    assert row.status == "registered"
    assert row.answers == {"profile": "student", "skills": ["code", "sea"]}
    assert set(row.consents) == {"conduct", "privacy"}  # `photos` is optional and was not ticked
    assert row.consents["conduct"]["version"] == "2026-10"
    assert "Your registration" in ada.client.get(f"/events/{SLUG}?lang=en").text


@pytest.mark.parametrize(
    ("drop", "change", "english", "italian"),
    [
        ("c_privacy", {}, "To register you must agree to: I agree to my data",
         "Per iscriverti devi accettare: Acconsento al trattamento"),
        ("q_profile", {}, "Please answer: Who are you?", "Rispondi a: Chi sei?"),
        ("", {"q_profile": "pirate"}, "Choose among the options of: Who are you?",
         "Scegli tra le opzioni di: Chi sei?"),
    ],
)  # fmt: skip
def test_a_bad_form_is_refused_with_what_to_fix_in_both_languages(
    client: TestClient, tmp_path: Path, drop: str, change: dict[str, str], english: str,
    italian: str,
) -> None:  # fmt: skip
    make_event(client, tmp_path)
    ada = person(client, "ada@example.org", "Ada")
    data = {k: v for k, v in {**ANSWERS, **change}.items() if k != drop}
    assert english in register(ada, data, "en")
    assert italian in register(ada, data, "it")
    assert status_of(client, ada) is None  # nothing recorded


def test_capacity_puts_people_in_line_and_a_withdrawal_frees_a_place(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path, capacity=2)
    first, second, third = (person(client, f"p{n}@example.org", f"P{n}") for n in range(3))
    register(first)
    register(second)
    assert "The event is full: you are on the waiting list" in register(third)
    assert [status_of(client, p) for p in (first, second, third)] == [
        "registered", "registered", "waiting"]  # fmt: skip

    # withdrawing asks first and says what happens; nothing changes until confirmed
    path = f"/events/{SLUG}/withdraw?lang=en"
    asked = first.client.post(path, data={"csrf_token": first.csrf(f"/events/{SLUG}/register")})
    assert "Withdraw from the event?" in asked.text
    assert "Your place goes to the first person on the waiting list" in asked.text
    assert status_of(client, first) == "registered"
    done = first.client.post(
        path, data={"confirm": "yes", "csrf_token": first.csrf(f"/events/{SLUG}/register")},
        follow_redirects=True,
    )  # fmt: skip
    assert "You withdrew from the event." in done.text
    assert [status_of(client, p) for p in (first, second, third)] == [
        "withdrawn", "registered", "registered"]  # fmt: skip
    # coming back joins the end of the line
    assert "waiting list" in register(first)


def test_approval_mode_and_who_organises_the_event(client: TestClient, tmp_path: Path) -> None:
    make_event(client, tmp_path, mode="approval")
    ada = person(client, "ada@example.org", "Ada")
    assert "Registration received: the organisers must approve it." in register(ada)
    listed = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    unlisted = person(client, "other-organiser@example.org", "Otto", Role.organiser)
    admin = person(client, "admin@example.org", "Adamo", Role.admin)
    page = f"/events/{SLUG}/registrations"
    for outsider in (unlisted, ada):
        assert outsider.client.get(page).status_code == 404
        assert outsider.client.get(f"{page}.csv").status_code == 404
    listing = listed.client.get(f"{page}?lang=en").text
    assert "ada@example.org" in listing and "awaiting approval" in listing
    assert admin.client.get(page).status_code == 200
    with session_scope(engine_of(client)) as session:
        rid = session.exec(select(Registration)).one().id
    refused = unlisted.client.post(f"{page}/{rid}/approve",
                                   data={"csrf_token": unlisted.csrf("/account")})  # fmt: skip
    assert refused.status_code == 404 and status_of(client, ada) == "pending"
    approved = listed.client.post(
        f"{page}/{rid}/approve?lang=en", data={"csrf_token": listed.csrf(page)},
        follow_redirects=True,
    )  # fmt: skip
    assert "Registration approved." in approved.text
    assert status_of(client, ada) == "registered"
    with session_scope(engine_of(client)) as session:  # sent by the mail worker (tests/app/mail)
        mails = session.exec(select(OutboxMail).where(OutboxMail.to_address == ada.email)).all()
    [approval] = [m for m in mails if m.kind != "verify_email"]
    assert approval.kind == "registration_approved"
    assert "approvato la tua iscrizione" in approval.body_text


def test_the_export_has_answers_and_consent_versions_for_organisers_only(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    ada = person(client, "ada@example.org", "=Ada")  # a name a spreadsheet would run
    register(ada, {**ANSWERS, "c_photos": "yes"})
    organiser = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    answer = organiser.client.get(f"/events/{SLUG}/registrations.csv")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "'=Ada" and row["email"] == "ada@example.org"
    assert (row["profile"], row["skills"]) == ("student", "code;sea")
    assert (
        row["consent_conduct_version"] == "2026-10" and row["consent_photos_version"] == "2026-10"
    )
    assert row["consent_photos_at"].startswith(str(utcnow().year))


def test_registration_outside_its_dates_says_when(client: TestClient, tmp_path: Path) -> None:
    make_event(client, tmp_path, opens=-5, closes=-1)
    ada = person(client, "ada@example.org", "Ada")
    assert "Registration closed on" in register(ada)
    assert "Le iscrizioni si sono chiuse il" in register(ada, lang="it")
    assert status_of(client, ada) is None


def test_the_teammates_board_lists_who_asked_to_be_found(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    ada, bruno, outsider = (person(client, f"{n}@example.org", n.title())
                            for n in ("ada", "bruno", "carla"))  # fmt: skip
    register(ada)
    register(bruno, {**ANSWERS, "q_profile": "citizen", "q_skills": ["design"]})
    board = f"/events/{SLUG}/teammates"
    assert outsider.client.get(board).status_code == 403  # not registered: not shown
    saved = ada.client.post(
        f"{board}?lang=en", follow_redirects=True,
        data={"looking": "yes", "pitch": "  data  person, sea lover ", "csrf_token": ada.csrf(board)},
    )  # fmt: skip
    assert "Saved: you are now on the board." in saved.text
    seen = " ".join(bruno.client.get(f"{board}?lang=it").text.split())
    assert "data person, sea lover" in seen and "ada@example.org" in seen
    assert "Studente" in seen and "Programmare, Conoscere il mare e il porto" in seen
    assert "bruno@example.org" not in seen  # Bruno did not ask to be listed
    ada.client.post(board, data={"looking": "", "pitch": "", "csrf_token": ada.csrf(board)})
    assert "ada@example.org" not in bruno.client.get(board).text
    refused = outsider.client.post(
        board, data={"looking": "yes", "csrf_token": outsider.csrf("/account")}
    )
    assert refused.status_code == 409


def test_check_in_from_the_desk_list_and_from_the_participants_code(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    ada, bruno = (
        person(client, "ada@example.org", "Ada"),
        person(client, "bruno@example.org", "Bruno"),
    )
    register(ada)
    register(bruno)
    mine = ada.client.get(f"/events/{SLUG}/register?lang=en").text
    assert "Your check-in code" in mine and "<svg" in mine and "<path" in mine
    organiser = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    desk = f"/events/{SLUG}/check-in"
    found = organiser.client.get(f"{desk}?q=bruno&lang=en").text
    assert "bruno@example.org" in found and "ada@example.org" not in found
    assert ada.client.get(desk).status_code == 404  # for the event's organisers only

    # the code holds a signed link to the desk page for that one person
    from app.events.checkin import registration_id_from, token_for

    secret = client.app.state.settings.resolved_secret_key()  # type: ignore[attr-defined]
    with session_scope(engine_of(client)) as session:
        rows = {r.user_id: r for r in session.exec(select(Registration))}
        from app.events.models import Event

        event = session.exec(select(Event)).one()
    token = token_for(secret, rows[ada.user_id])
    assert registration_id_from(secret, event, token) == rows[ada.user_id].id
    assert registration_id_from(secret, event, token[:-2] + "xx") is None
    assert registration_id_from("another secret", event, token) is None
    scanned = organiser.client.get(f"{desk}/{token}?lang=en").text
    assert "ada@example.org" in scanned and "bruno@example.org" not in scanned
    assert ada.client.get(f"{desk}/{token}").status_code == 404
    assert organiser.client.get(f"{desk}/{token[:-2]}xx").status_code == 404

    rid = rows[ada.user_id].id
    done = organiser.client.post(f"/events/{SLUG}/registrations/{rid}/check-in?lang=en",
                                 data={"csrf_token": organiser.csrf(desk)}, follow_redirects=True)  # fmt: skip
    shown = " ".join(done.text.split())
    assert "Checked in." in shown and "Checked in: <strong>1</strong> of 2" in shown, shown[-1500:]
    with session_scope(engine_of(client)) as session:
        assert session.get(Registration, rid).checked_in_at is not None  # type: ignore[union-attr]
    organiser.client.post(f"/events/{SLUG}/registrations/{rid}/check-in",
                          data={"undo": "yes", "csrf_token": organiser.csrf(desk)})  # fmt: skip
    with session_scope(engine_of(client)) as session:
        assert session.get(Registration, rid).checked_in_at is None  # type: ignore[union-attr]


def test_people_registering_at_once_never_exceed_the_capacity(
    client: TestClient, tmp_path: Path
) -> None:
    """The capacity is a check-then-write: every registration takes the event's lock first."""
    import threading

    make_event(client, tmp_path, capacity=2)
    people = [person(client, f"r{n}@example.org", f"R{n}") for n in range(6)]
    tokens = [p.csrf(f"/events/{SLUG}/register") for p in people]
    start = threading.Barrier(len(people))
    answers: list[int] = []

    def go(who: Person, token: str) -> None:
        start.wait()
        answer = who.client.post(f"/events/{SLUG}/register", follow_redirects=False,
                                 data={**ANSWERS, "csrf_token": token})  # fmt: skip
        answers.append(answer.status_code)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(people, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303] * len(people)
    statuses = sorted(str(status_of(client, p)) for p in people)
    assert statuses == ["registered"] * 2 + ["waiting"] * 4
