"""The organisers' review assignment of a project track, stored: k reviews each, even loads,
conflicts never assigned (and refused by hand), re-runs keeping what was there."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from tests.app.projects.review_helpers import JUDGE, ORGANISE, K, pairs, post, track
from tests.app.projects_only.project_helpers import SLUG
from tests.app.web.web_helpers import engine_of

SIX = ("Alfa", "Beta", "Gamma", "Delta", "Epsilon", "Zeta")


def _actions(client: TestClient, challenge_id: int) -> list[str]:
    with Session(engine_of(client)) as session:
        return list(
            session.exec(
                select(AuditEvent.action)
                .where(AuditEvent.challenge_id == challenge_id)
                .order_by(col(AuditEvent.id))
            ).all()
        )


def test_the_assignment_gives_every_project_k_judges_and_even_loads(client: TestClient) -> None:
    t = track(client, judges=4, teams=SIX)
    judges_page = t.org.client.get(f"/organise/{SLUG}/judges?lang=en").text
    assert f"/organise/{SLUG}/reviews" in judges_page  # the organisers' way in
    page = t.org.client.get(f"{ORGANISE}?lang=en")
    assert page.status_code == 200
    assert "Assign reviews" in page.text and '<details class="confirm">' not in page.text

    status, _ = post(t.org, f"{ORGANISE}/assign")
    assert status == 303
    stored = pairs(client, t.challenge_id)
    per_team = Counter(team for team, _judge, _source in stored)
    per_judge = Counter(judge for _team, judge, _source in stored)
    assert per_team == {team_id: K for team_id in t.teams.values()}
    assert set(per_judge) == {j.user_id for j in t.judges}
    assert max(per_judge.values()) - min(per_judge.values()) <= 1  # 12 reviews over 4 judges
    assert {source for *_, source in stored} == {"auto"}
    assert len(set(stored)) == len(stored)

    done = t.org.client.get(f"{ORGANISE}?lang=en").text
    assert "Assignment saved: 12 reviews added." in done
    assert "Assign the missing reviews…" in done  # a second run now asks for confirmation
    italian = t.org.client.get(f"{ORGANISE}?lang=it").text
    assert "Revisioni dei progetti" in italian
    assert "project_review.run" in _actions(client, t.challenge_id)


def test_a_rerun_keeps_the_existing_assignments_and_adds_only_missing_ones(
    client: TestClient,
) -> None:
    t = track(client, judges=3, teams=("Alfa", "Beta", "Gamma"))
    alfa, judge0 = t.teams["Alfa"], t.judges[0].user_id
    status, _ = post(t.org, f"{ORGANISE}/add", team_id=str(alfa), judge_id=str(judge0))
    assert status == 303
    assert pairs(client, t.challenge_id) == [(alfa, judge0, "manual")]

    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    first = pairs(client, t.challenge_id)
    assert (alfa, judge0, "manual") in first  # kept, still marked as made by hand
    assert Counter(team for team, *_ in first) == {i: K for i in t.teams.values()}

    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    assert pairs(client, t.challenge_id) == first  # nothing missing: nothing changes
    assert "Assignment saved: 0 reviews added." in t.org.client.get(f"{ORGANISE}?lang=en").text

    # A team that arrives later gets its reviews; nobody else's change.
    late = track_team(client, t, "Omega")
    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    after = pairs(client, t.challenge_id)
    assert set(first) < set(after)
    assert Counter(team for team, *_ in after)[late] == K


def track_team(client: TestClient, t: object, name: str) -> int:
    from tests.app.projects.review_helpers import Track, handed_in
    from tests.app.web.web_helpers import person, team_for

    assert isinstance(t, Track)
    captain = person(client, f"{name.lower()}@example.org", name)
    team_id = team_for(client, t.challenge_id, captain, name)
    handed_in(client, t.challenge_id, team_id, captain.user_id)
    return team_id


def test_a_declared_conflict_is_never_assigned_and_refused_by_hand(client: TestClient) -> None:
    t = track(client, judges=3, teams=("Alfa", "Beta", "Gamma"))
    judge = t.judges[0]
    beta = t.teams["Beta"]
    status, _ = post(judge, f"{JUDGE}/conflicts", team_id=str(beta), reason="my students")
    assert status == 303
    assert "Conflict declared" in judge.client.get(f"{JUDGE}?lang=en").text

    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    stored = pairs(client, t.challenge_id)
    assert (beta, judge.user_id) not in {(team, j) for team, j, _ in stored}
    assert Counter(team for team, *_ in stored)[beta] == K  # the two other judges

    status, text = post(
        t.org, f"{ORGANISE}/add?lang=en", team_id=str(beta), judge_id=str(judge.user_id)
    )
    assert status == 409
    assert (
        "Judge 0 declared a conflict with team Beta: a judge with a conflict cannot review "
        "the team&#39;s project" in text
    )
    assert pairs(client, t.challenge_id) == stored

    # Withdrawn, the hand-made assignment is allowed; declaring again takes it off the list.
    assert post(judge, f"{JUDGE}/conflicts/withdraw", team_id=str(beta))[0] == 303
    status, _ = post(t.org, f"{ORGANISE}/add", team_id=str(beta), judge_id=str(judge.user_id))
    assert status == 303
    assert (beta, judge.user_id, "manual") in pairs(client, t.challenge_id)
    assert post(judge, f"{JUDGE}/conflicts", team_id=str(beta))[0] == 303
    assert (beta, judge.user_id) not in {(a, b) for a, b, _ in pairs(client, t.challenge_id)}
    actions = _actions(client, t.challenge_id)
    assert actions.count("judge.conflict_declare") == 2
    assert "judge.conflict_withdraw" in actions and "project_review.add" in actions


def test_a_shortfall_is_explained_and_a_member_judges_nothing(client: TestClient) -> None:
    """Two judges, one of them in team Alfa: they compete, so they are left out, and with
    k = 2 every project is one judge short, which the page explains."""
    t = track(client, judges=2, teams=("Alfa", "Beta"))
    insider = t.judges[1]
    with Session(engine_of(client)) as session:
        from app.teams.models import Membership

        session.add(
            Membership(
                team_id=t.teams["Alfa"], user_id=insider.user_id, challenge_id=t.challenge_id
            )
        )
        session.commit()
    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    stored = pairs(client, t.challenge_id)
    assert {judge for _t, judge, _s in stored} == {t.judges[0].user_id}
    page = t.org.client.get(f"{ORGANISE}?lang=en").text
    assert "2 projects cannot get enough reviews" in page
    assert "the project of team Alfa gets 1 of 2 reviews: only 1 of 1 judges" in page


def test_removing_by_hand_asks_first_and_is_refused_after_a_review(client: TestClient) -> None:
    t = track(client, judges=2, teams=("Alfa",))
    alfa = t.teams["Alfa"]
    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    page = t.org.client.get(f"{ORGANISE}?lang=en").text
    assert page.count('<details class="confirm">') >= 3  # re-run, and each removal
    j0, j1 = t.judges
    status, _ = post(
        j0, f"/judge/gulf-digital-twin/teams/{alfa}", rating_impact="4", rating_feasibility="3"
    )
    assert status == 303
    status, text = post(
        t.org, f"{ORGANISE}/remove?lang=en", team_id=str(alfa), judge_id=str(j0.user_id)
    )
    assert status == 409 and "already reviewed the project of team Alfa" in text
    status, _ = post(t.org, f"{ORGANISE}/remove", team_id=str(alfa), judge_id=str(j1.user_id))
    assert status == 303
    assert pairs(client, t.challenge_id) == [(alfa, j0.user_id, "auto")]
    assert "Assignment removed." in t.org.client.get(f"{ORGANISE}?lang=en").text


def test_a_team_without_a_project_gets_no_reviewer(client: TestClient) -> None:
    from tests.app.web.web_helpers import person, team_for

    t = track(client, judges=2, teams=("Alfa",))
    idle = team_for(client, t.challenge_id, person(client, "idle@example.org", "Idle"), "Idle")
    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    teams = {team for team, *_ in pairs(client, t.challenge_id)}
    assert teams == {t.teams["Alfa"]}
    assert idle not in teams
