"""Choosing final submissions: scored ones only, at most N per team, never another team's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.accounts.models import Role
from app.challenges.models import Challenge
from app.core.db import session_scope, utcnow
from app.submissions.models import Status, Submission
from tests.app.web.web_helpers import challenge, engine_of, person, team_for


def _submission(client: TestClient, cid: int, pid: int, team_id: int, user_id: int,
                status: Status) -> int:  # fmt: skip
    with session_scope(engine_of(client)) as session:
        sub = Submission(challenge_id=cid, phase_id=pid, team_id=team_id, user_id=user_id,
                         kind="predictions", file_sha256="a" * 64, filename="p.csv", size=1,
                         status=status, created_at=utcnow())  # fmt: skip
        session.add(sub)
        session.flush()
        assert sub.id is not None
        return sub.id


def test_a_team_chooses_at_most_n_scored_finals(client: TestClient) -> None:
    cid, pid = challenge(client)
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.config = {
            **ch.config,
            "leaderboard": {**ch.config["leaderboard"], "final_submissions": 2},
        }
        session.add(ch)
    ada = person(client, "ada@example.org", "Ada")
    eve = person(client, "eve@example.org", "Eve")
    team = team_for(client, cid, ada, "Delfini")
    team_for(client, cid, eve, "Squali")
    scored = [_submission(client, cid, pid, team, ada.user_id, Status.scored) for _ in range(3)]
    failed = _submission(client, cid, pid, team, ada.user_id, Status.failed)

    def choose(who: object, sid: int, selected: bool = True) -> object:
        return client.post(f"/api/v1/submissions/{sid}/final", json={"selected": selected},
                           headers=who.bearer())  # type: ignore[attr-defined]  # fmt: skip

    first = choose(ada, scored[0])
    assert first.status_code == 200 and first.json()["selected_final"] is True  # type: ignore[attr-defined]
    assert choose(ada, scored[1]).status_code == 200  # type: ignore[attr-defined]
    third = choose(ada, scored[2])
    assert third.status_code == 409 and "unselect one" in third.json()["error"]["message"]  # type: ignore[attr-defined]
    assert choose(ada, failed).status_code == 409  # type: ignore[attr-defined]
    assert choose(eve, scored[2]).status_code == 404  # type: ignore[attr-defined]
    assert choose(ada, scored[0], selected=False).status_code == 200  # type: ignore[attr-defined]
    assert choose(ada, scored[2]).status_code == 200  # type: ignore[attr-defined]
    with session_scope(engine_of(client)) as session:
        chosen = {s: session.get(Submission, s).selected_final for s in scored}  # type: ignore[union-attr]
    assert chosen == {scored[0]: False, scored[1]: True, scored[2]: True}


def test_the_submission_page_lets_members_choose_a_final(client: TestClient) -> None:
    cid, pid = challenge(client)
    ada = person(client, "ada@example.org", "Ada")
    team = team_for(client, cid, ada, "Delfini")
    sid = _submission(client, cid, pid, team, ada.user_id, Status.scored)
    page = ada.client.get(f"/submissions/{sid}?lang=en")
    assert "Choose as final" in page.text
    token = ada.csrf(f"/submissions/{sid}")
    chosen = ada.client.post(f"/submissions/{sid}/final", data={"csrf_token": token, "selected": "1"},
                             follow_redirects=False)  # fmt: skip
    assert chosen.status_code == 303
    assert "Chosen as final." in ada.client.get(f"/submissions/{sid}?lang=en").text
    no_token = ada.client.post(f"/submissions/{sid}/final", data={"selected": "0"})
    assert no_token.status_code == 403  # CSRF protects the form
    boss = person(client, "boss@example.org", "Boss", Role.organiser)
    assert "Choose as final" not in boss.client.get(f"/submissions/{sid}?lang=en").text
