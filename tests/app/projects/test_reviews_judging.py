"""A judge of a project track sees the projects assigned to them alone, reviews those with the
jury's rubric form, and is refused every other team's, with the reason."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.jury.models import Review
from tests.app.projects.review_helpers import JUDGE, ORGANISE, pairs, post, track
from tests.app.projects_only.project_helpers import SLUG
from tests.app.web.web_helpers import engine_of

RATING = {"rating_impact": "4", "rating_feasibility": "2", "comment": "solid prototype"}


def test_a_judge_sees_only_their_projects_and_reviews_only_those(client: TestClient) -> None:
    t = track(client, judges=2, teams=("Alfa", "Beta"))
    j0, j1 = t.judges
    alfa, beta = t.teams["Alfa"], t.teams["Beta"]
    empty = j0.client.get(f"{JUDGE}?lang=en")
    assert empty.status_code == 200 and "No project is assigned to you yet" in empty.text
    # Before any assignment, the review form refuses every team, with the reason.
    refused = j0.client.get(f"/judge/{SLUG}/teams/{alfa}?lang=en")
    assert refused.status_code == 403
    assert "The project of team Alfa is not assigned to you" in refused.text

    for team, judge in ((alfa, j0), (beta, j1)):
        status, _ = post(t.org, f"{ORGANISE}/add", team_id=str(team), judge_id=str(judge.user_id))
        assert status == 303
    mine = j0.client.get(f"{JUDGE}?lang=en").text
    listed = mine.split('<ul class="my-projects">', 1)[1].split("</ul>", 1)[0]
    assert f'/judge/{SLUG}/teams/{alfa}"' in listed and "Alfa" in listed
    assert "Beta" not in listed  # the other judge's project is not on this list
    assert "to do" in listed

    form = j0.client.get(f"/judge/{SLUG}/teams/{alfa}?lang=en")
    assert form.status_code == 200
    assert 'name="rating_impact"' in form.text and f"/judge/{SLUG}/projects" in form.text
    assert "Download the submitted file" not in form.text  # a project has no scored file
    assert j0.client.get(f"/judge/{SLUG}/teams/{alfa}/file").status_code == 404

    status, _ = post(j0, f"/judge/{SLUG}/teams/{alfa}", **RATING)
    assert status == 303
    status, text = post(j0, f"/judge/{SLUG}/teams/{beta}?lang=en", **RATING)
    assert status == 403 and "The project of team Beta is not assigned to you" in text
    assert j0.client.get(f"/judge/{SLUG}/teams/{beta}").status_code == 403
    italian = j0.client.get(f"/judge/{SLUG}/teams/{beta}?lang=it").text
    assert "Il progetto della squadra Beta non è assegnato a te" in italian

    with Session(engine_of(client)) as session:
        saved = session.exec(select(Review).where(Review.challenge_id == t.challenge_id)).all()
    assert [(r.team_id, r.judge_id, r.submission_id, r.comment) for r in saved] == [
        (alfa, j0.user_id, None, "solid prototype")
    ]
    assert "done" in j0.client.get(f"{JUDGE}?lang=en").text.split("my-projects", 1)[1]
    assert pairs(client, t.challenge_id) == [
        (alfa, j0.user_id, "manual"),
        (beta, j1.user_id, "manual"),
    ]


def test_a_declared_conflict_refuses_the_review_form(client: TestClient) -> None:
    t = track(client, judges=1, teams=("Alfa",))
    (judge,) = t.judges
    alfa = t.teams["Alfa"]
    assert post(t.org, f"{ORGANISE}/add", team_id=str(alfa), judge_id=str(judge.user_id))[0] == 303
    assert post(judge, f"{JUDGE}/affiliation", affiliation="  Università  di Genova ")[0] == 303
    page = judge.client.get(f"{JUDGE}?lang=en").text
    assert 'value="Università di Genova"' in page and "Your affiliation is saved." in page
    assert post(judge, f"{JUDGE}/conflicts", team_id=str(alfa), reason="my lab")[0] == 303
    status, text = post(judge, f"/judge/{SLUG}/teams/{alfa}?lang=en", **RATING)
    assert status == 403 and "You declared a conflict with team Alfa" in text
    assert pairs(client, t.challenge_id) == []  # declaring took the project off their list
    # Once reviewed, a conflict is the organisers' call: the judge's declaration is refused.
    assert post(judge, f"{JUDGE}/conflicts/withdraw", team_id=str(alfa))[0] == 303
    assert post(t.org, f"{ORGANISE}/add", team_id=str(alfa), judge_id=str(judge.user_id))[0] == 303
    assert post(judge, f"/judge/{SLUG}/teams/{alfa}", **RATING)[0] == 303
    status, text = post(judge, f"{JUDGE}/conflicts?lang=en", team_id=str(alfa))
    assert status == 409 and "You already reviewed the project of team Alfa" in text
