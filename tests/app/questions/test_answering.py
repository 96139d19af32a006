"""Organisers answer privately, publish (reworded) or dismiss; a private answer reaches only
the asking team, on pages and through the API; everything is audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.core.db import session_scope
from app.questions.models import Question, QuestionState
from tests.app.questions.question_helpers import ORGANISE, PAGE, World, ask, post, world
from tests.app.web.web_helpers import Person, engine_of

API = "/api/v1/challenges/sea-temp/questions"


def _flat(html: str) -> str:
    return " ".join(html.split())


def _asked(w: World, who: Person, text: str) -> int:
    assert ask(who, text)[0] == 303
    with session_scope(engine_of(who.client)) as session:
        question = session.exec(select(Question).where(Question.text == text)).one()
        assert question.id is not None
        return question.id


def _views(w: World, who: Person) -> tuple[str, str, object, str]:
    """What a participant reads: the questions page, the challenge page, the API list."""
    return (
        who.client.get(PAGE + "?lang=en").text,
        who.client.get("/challenges/sea-temp?lang=en").text,
        who.client.get(API, headers=who.bearer()).json(),
        who.client.get(API).json().__repr__(),
    )


def test_only_the_challenges_organisers_see_and_answer_its_questions(client: TestClient) -> None:
    w = world(client)
    qid = _asked(w, w.ada, "Are the sensors calibrated?")
    listing = w.boss.client.get(ORGANISE + "?lang=en")
    assert listing.status_code == 200 and "Are the sensors calibrated?" in listing.text
    assert "Waiting: 1 · answered privately: 0" in _flat(listing.text)
    assert "team Delfini" in listing.text
    assert "Questions (1 waiting)" in _flat(w.boss.client.get("/organise/sea-temp?lang=en").text)
    for stranger in (w.other,):  # runs another challenge: this one does not exist for them
        assert stranger.client.get(ORGANISE).status_code == 404
        status, _, _ = post(stranger, f"{ORGANISE}/{qid}/answer", "/organise", answer="No.")
        assert status == 404
    for participant in (w.eve, w.solo):
        assert participant.client.get(ORGANISE).status_code == 403
    assert w.ada.client.get(ORGANISE).status_code == 403  # a competitor, whatever else
    # Another challenge's question id through this challenge's address: not found.
    status, _, _ = post(w.boss, "/organise/sea-temp/questions/999999/answer", ORGANISE, answer="x")
    assert status == 404
    with session_scope(engine_of(client)) as session:
        assert session.get(Question, qid).state == QuestionState.open  # type: ignore[union-attr]


def test_a_private_answer_reaches_the_asking_team_only(client: TestClient) -> None:
    w = world(client)
    qid = _asked(w, w.ada, "May we use the tide tables?")
    before = {who.email: _views(w, who) for who in (w.eve, w.solo)}
    anonymous_before = client.get(PAGE).text, client.get(API).json()
    status, location, _ = post(
        w.boss, f"{ORGANISE}/{qid}/answer?lang=en", ORGANISE, answer="Yes, the 2025 ones."
    )
    assert status == 303 and location.endswith(ORGANISE)
    done = w.boss.client.get(ORGANISE + "?lang=en").text
    assert "Answer saved: only the asking team sees it." in done
    for mate in (w.ada, w.bea):
        page = mate.client.get(PAGE + "?lang=en").text
        assert "Yes, the 2025 ones." in page and "Answer (for your team only)" in page
        [mine] = mate.client.get(API, headers=mate.bearer()).json()
        assert mine["answer"] == "Yes, the 2025 ones." and mine["state"] == "answered"
    after = {who.email: _views(w, who) for who in (w.eve, w.solo)}
    assert after == before, "another team reads exactly what it read before"
    assert (client.get(PAGE).text, client.get(API).json()) == anonymous_before
    # Editing keeps the answer's first time and shows when it changed.
    post(w.boss, f"{ORGANISE}/{qid}/answer", ORGANISE, answer="Yes, the 2025 and 2026 ones.")
    with session_scope(engine_of(client)) as session:
        q = session.get(Question, qid)
        assert q is not None and q.answer_updated_at is not None and q.answered_at is not None
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
    assert actions == ["question.answer", "question.answer"]
    assert "answer updated" in w.ada.client.get(PAGE + "?lang=en").text
    audit = _flat(w.boss.client.get("/organise/sea-temp/audit?lang=en").text)
    assert "Boss answered question" in audit and "of team Delfini privately." in audit
    assert "Boss changed the private answer to question" in audit


def test_publishing_rewords_the_question_for_everyone_and_keeps_the_original(
    client: TestClient,
) -> None:
    w = world(client)
    qid = _asked(w, w.ada, "Team Delfini here: our model v3 fails on buoy 7, is it broken?")
    listing = w.boss.client.get(ORGANISE + "?lang=en").text
    assert "Publish for everyone…" in listing
    assert "Everyone will see this question and its answer on the challenge" in listing
    status, _, _ = post(
        w.boss, f"{ORGANISE}/{qid}/publish?lang=en", ORGANISE,
        wording="Is buoy 7's data broken?", answer="Yes: ignore buoy 7 before March.",
    )  # fmt: skip
    assert status == 303
    public = "Is buoy 7&#39;s data broken?"
    for reader in (client, w.eve.client, w.solo.client):
        assert public in reader.get(PAGE + "?lang=en").text
        challenge_page = reader.get("/challenges/sea-temp?lang=en").text
        assert "Questions and answers" in challenge_page and public in challenge_page
        assert "ignore buoy 7 before March" in challenge_page
        assert "our model v3" not in reader.get(PAGE).text + challenge_page
    [seen] = client.get(API).json()
    assert seen["question"] == "Is buoy 7's data broken?" and seen["mine"] is False
    [own] = w.bea.client.get(API, headers=w.bea.bearer()).json()
    assert own["question"].startswith("Team Delfini here") and own["mine"] is True
    with session_scope(engine_of(client)) as session:
        q = session.get(Question, qid)
        assert q is not None and q.text.startswith("Team Delfini here")
        [event] = session.exec(select(AuditEvent)).all()
    assert event.action == "question.publish" and event.detail["reworded"] is True
    audit = _flat(w.boss.client.get("/organise/sea-temp/audit?lang=en").text)
    assert "and its answer for everyone. Its wording was edited for publication." in audit
    # A published question cannot be dismissed; a wording too short is refused at its field.
    status, _, html = post(w.boss, f"{ORGANISE}/{qid}/dismiss?lang=en", ORGANISE)
    assert status == 409 and "cannot be dismissed" in html
    qid2 = _asked(w, w.eve, "What is the unit of the target?")
    status, _, html = post(
        w.boss, f"{ORGANISE}/{qid2}/publish?lang=en", ORGANISE, wording="?", answer="Kelvin."
    )
    assert status == 422 and "Write at least 5 characters." in html
    assert 'name="wording" rows="3" required aria-invalid="true"' in html


def test_dismissing_closes_a_question_for_its_team(client: TestClient) -> None:
    w = world(client)
    qid = _asked(w, w.solo, "Is this the right place for my bug report?")
    assert post(w.boss, f"{ORGANISE}/{qid}/dismiss", ORGANISE)[0] == 303
    page = w.solo.client.get(PAGE + "?lang=en").text
    assert "The organisers closed this question without an answer." in page
    audit = _flat(w.boss.client.get("/organise/sea-temp/audit?lang=en").text)
    assert "Boss dismissed question" in audit and "of a participant without a team." in audit
