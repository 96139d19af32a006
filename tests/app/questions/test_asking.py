"""Asking a question: who may, what it belongs to, its limits and the rate limit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from app.core.db import session_scope
from app.questions.models import Question, QuestionState
from app.questions.service import PER_WINDOW
from tests.app.questions.question_helpers import PAGE, ask, world
from tests.app.web.web_helpers import engine_of


def _flat(html: str) -> str:
    return " ".join(html.split())


def test_a_question_belongs_to_the_team_and_nobody_else_reads_it(client: TestClient) -> None:
    w = world(client)
    status, location, _ = ask(w.ada, "Is the hidden test set from the same buoys?", "development")
    assert status == 303 and location.endswith(PAGE)
    assert "Your question was sent to the organisers" in w.ada.client.get(PAGE + "?lang=en").text
    assert "same buoys" in w.bea.client.get(PAGE + "?lang=en").text  # the team-mate
    for outsider in (w.eve.client, w.solo.client, client):
        assert "same buoys" not in outsider.get(PAGE + "?lang=en").text
    with session_scope(engine_of(client)) as session:
        [question] = session.exec(select(Question)).all()
        assert question.team_id is not None and question.asked_by == w.ada.user_id
        assert question.state == QuestionState.open and question.phase_id is not None

    assert ask(w.solo, "Can I take part without a team?")[0] == 303
    assert "without a team?" in w.solo.client.get(PAGE).text
    assert "without a team?" not in w.ada.client.get(PAGE).text

    api = w.bea.client.get("/api/v1/challenges/sea-temp/questions", headers=w.bea.bearer())
    assert [q["question"] for q in api.json()] == ["Is the hidden test set from the same buoys?"]
    assert api.json()[0]["mine"] is True and api.json()[0]["phase"] == "development"
    assert client.get("/api/v1/challenges/sea-temp/questions").json() == []
    assert w.eve.client.get("/api/v1/challenges/sea-temp/questions").json() == []


def test_anonymous_visitors_read_but_must_log_in_to_ask(client: TestClient) -> None:
    world(client)
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200 and "Log in to ask the organisers a question." in page.text
    api = client.post("/api/v1/challenges/sea-temp/questions", json={"text": "Hello there?"})
    assert api.status_code in (401, 403)  # no credential: CSRF or login, never a question
    assert client.get("/challenges/nowhere/questions").status_code == 404


def test_too_short_too_long_and_unknown_phases_are_refused_at_their_field(
    client: TestClient,
) -> None:
    w = world(client)
    status, _, html = ask(w.ada, "Hm?")
    assert status == 422 and "Write at least 5 characters." in html
    assert 'name="text" rows="4" required aria-invalid="true"' in html
    status, _, html = ask(w.ada, "x" * 2001)
    assert status == 422 and "Write at most 2000 characters (this text has 2001)." in html
    assert "x" * 2001 in html, "what was typed is kept"
    status, _, html = ask(w.ada, "Which phase is this?", "final")
    assert status == 422 and "Choose a phase of this challenge, or none." in _flat(html)
    assert 'id="question-phase" name="phase" aria-invalid="true"' in html
    api = client.post(
        "/api/v1/challenges/sea-temp/questions", json={"text": "Hm?"}, headers=w.ada.bearer()
    )
    assert api.status_code == 422 and api.json()["error"]["field"] == "text"
    with session_scope(engine_of(client)) as session:
        assert session.exec(select(Question)).all() == []


def test_a_team_asks_a_few_questions_in_ten_minutes_then_waits(client: TestClient) -> None:
    w = world(client)
    for n in range(PER_WINDOW):
        who = w.ada if n % 2 == 0 else w.bea  # the team's count, whoever asks
        assert ask(who, f"Question number {n} about the data?")[0] == 303
    status, _, html = ask(w.bea, "One more question, please?")
    assert status == 429
    assert f"You have asked {PER_WINDOW} questions in the last 10 minutes" in _flat(html)
    assert "you may ask another one from" in html
    api = client.post(
        "/api/v1/challenges/sea-temp/questions",
        json={"text": "And through the API?"},
        headers=w.ada.bearer(),
    )
    assert api.status_code == 429 and int(api.headers["Retry-After"]) > 500
    assert ask(w.eve, "Another team may still ask?")[0] == 303  # per team
    it = w.ada.client.post(
        PAGE + "?lang=it",
        data={"text": "Ancora una domanda?", "csrf_token": w.ada.csrf(PAGE)},
    )
    assert it.status_code == 429 and "domande negli ultimi 10 minuti" in _flat(it.text)


def test_a_question_asked_alone_stays_the_askers_after_joining_a_team(client: TestClient) -> None:
    w = world(client)
    assert ask(w.solo, "Should I look for a team first?")[0] == 303
    with session_scope(engine_of(client)) as session:
        [question] = session.exec(select(Question)).all()
        team_id = question.team_id
    assert team_id is None
    from tests.app.questions.question_helpers import join

    with session_scope(engine_of(client)) as session:
        from app.teams.models import Team

        balene = session.exec(select(Team).where(Team.name == "Balene")).one()
        assert balene.id is not None
        balene_id = balene.id
    join(client, balene_id, w.solo, w.cid)
    assert "look for a team first?" in w.solo.client.get(PAGE).text
    assert "look for a team first?" not in w.eve.client.get(PAGE).text  # personal, not the team's
