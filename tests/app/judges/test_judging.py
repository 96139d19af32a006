"""Assigning judges, reviewing finalists, the combined ranking and the CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.jury.models import Review
from tests.app.organisers.test_freeze import scored
from tests.app.web.web_helpers import BOARD, Person, challenge, engine_of, person, team_for

JUDGING = {
    "scale": {"min": 1, "max": 5},
    "rubric": [
        {"key": "method", "label": {"en": "Method"}, "weight": 3},
        {"key": "use", "label": {"en": "Use"}, "weight": 1},
    ],
    "finalists": 2,
    "combine": {"metric_weight": 0.5, "rubric_weight": 0.5, "normalise_judges": False},
}


def _post(who: Person, path: str, **data: str) -> tuple[int, str]:
    token = who.csrf("/account")
    response = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code, response.text


def _setup(site: TestClient) -> tuple[int, dict[str, Person], dict[str, int]]:
    cid, pid = challenge(site)
    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.config = {**BOARD, "judging": JUDGING}
        session.add(ch)
        session.commit()
    people = {
        "org": person(site, "org@example.org", "Org", Role.organiser),
        "judge": person(site, "judge@example.org", "Judge", Role.judge),
        "insider": person(site, "insider@example.org", "Insider", Role.judge),
        "ext": person(site, "ext@example.org", "Ext", Role.judge),
        "late": person(site, "late@example.org", "Late", Role.judge),
        "a": person(site, "a@example.org", "Ann"),
        "c": person(site, "c@example.org", "Cy"),
    }
    at = utcnow() - timedelta(hours=1)
    teams = {
        "Delfini": team_for(site, cid, people["a"], "Delfini"),
        "Orche": team_for(site, cid, people["insider"], "Orche"),
        "Cozze": team_for(site, cid, people["c"], "Cozze"),
    }
    scored(site, pid, teams["Delfini"], people["a"].user_id, 1.0, at)
    scored(site, pid, teams["Orche"], people["insider"].user_id, 2.0, at)
    scored(site, pid, teams["Cozze"], people["c"].user_id, 3.0, at)  # third: not a finalist
    return cid, people, teams


def test_judges_review_finalists_and_organisers_rank_and_export(site: TestClient) -> None:
    cid, people, teams = _setup(site)
    org, judge, insider = people["org"], people["judge"], people["insider"]
    ext, late = people["ext"], people["late"]
    delfini, orche = teams["Delfini"], teams["Orche"]

    assert judge.client.get("/judge/sea-temp").status_code == 404  # not assigned yet
    status, text = _post(org, "/organise/sea-temp/judges", email="a@example.org")
    assert status == 422 and "judge role" in text  # a participant may not judge
    # A judge in a team of the challenge is a participant there: never assigned, and a judge
    # who joins a team later loses the judge's pages (which show every team's standing).
    status, text = _post(org, "/organise/sea-temp/judges", email=insider.email)
    assert status == 403 and "in a team of this challenge" in text
    assert insider.client.get("/judge/sea-temp").status_code == 403
    for who in (judge, ext, late):
        assert _post(org, "/organise/sea-temp/judges", email=who.email)[0] == 303
    team_for(site, cid, late, "Ritardatari")
    refused = late.client.get("/judge/sea-temp")
    assert refused.status_code == 403 and "participant" in refused.text
    path = f"/judge/sea-temp/teams/{orche}"
    assert _post(late, path, rating_method="5", rating_use="5")[0] == 403

    page = judge.client.get("/judge/sea-temp").text
    assert "Delfini" in page and "Orche" in page and "Cozze" not in page
    assert judge.client.get(f"/judge/sea-temp/teams/{teams['Cozze']}").status_code == 404

    assert _post(judge, f"/judge/sea-temp/teams/{delfini}", rating_method="9")[0] == 422
    assert _post(judge, path, rating_method="1", rating_use="1", comment="first")[0] == 303
    assert _post(judge, path, rating_method="5", rating_use="1", comment="again")[0] == 303
    assert (
        _post(judge, f"/judge/sea-temp/teams/{delfini}", rating_method="1", rating_use="1")[0]
        == 303
    )
    assert (
        _post(ext, f"/judge/sea-temp/teams/{delfini}", rating_method="3", rating_use="3")[0] == 303
    )
    with Session(engine_of(site)) as session:
        mine = session.exec(
            select(Review).where(Review.judge_id == judge.user_id, Review.team_id == orche)
        ).all()
        assert [(r.ratings, r.comment) for r in mine] == [({"method": 5, "use": 1}, "again")]
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.challenge_id == cid)
            .order_by(col(AuditEvent.id))
        ).all()
    assert actions.count("judge.assign") == 3
    assert actions.count("review.create") == 3 and actions.count("review.update") == 1
    assert "method" in judge.client.get(path).text  # the form shows the saved review

    # Delfini: metric 1, rubric mean of judge 0.0 and ext 0.5 -> 0.25; combined 0.625
    # Orche: metric 0, rubric (3*1.0 + 1*0.0)/4 = 0.75; combined 0.375
    ranking = org.client.get("/organise/sea-temp/ranking").text
    assert ranking.index("Delfini") < ranking.index("Orche")
    assert "0,625" in ranking and "0,375" in ranking  # the Italian page: a decimal comma

    by_judge = list(
        csv.DictReader(io.StringIO(org.client.get("/organise/sea-temp/reviews.csv?by=judge").text))
    )
    assert [(r["judge_email"], r["team"]) for r in by_judge] == [
        ("ext@example.org", "Delfini"),
        ("judge@example.org", "Delfini"),
        ("judge@example.org", "Orche"),
    ]
    assert by_judge[2]["method"] == "5" and by_judge[2]["comment"] == "again"
    by_team = list(
        csv.DictReader(io.StringIO(org.client.get("/organise/sea-temp/reviews.csv?by=team").text))
    )
    assert [r["team"] for r in by_team] == ["Delfini", "Delfini", "Orche"]

    assert _post(org, "/organise/sea-temp/judges/remove", email=judge.email)[0] == 303
    assert judge.client.get("/judge/sea-temp").status_code == 404
