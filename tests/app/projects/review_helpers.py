"""A project track on the test site with an organiser, judges and teams, for review tests."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.challenges.models import Challenge
from app.projects.models import Project, ProjectVersion
from app.projects.review_models import ReviewAssignment
from tests.app.projects_only.project_helpers import SLUG, load_project
from tests.app.web.web_helpers import Person, engine_of, person, team_for

ORGANISE = f"/organise/{SLUG}/reviews"
JUDGE = f"/judge/{SLUG}/projects"
K = 2  # the fixture bundle's project.reviews_per_project


@dataclass
class Track:
    challenge_id: int
    org: Person
    judges: list[Person]
    captains: list[Person]
    teams: dict[str, int]  # name -> id


def post(who: Person, path: str, **data: str) -> tuple[int, str]:
    """A form post with the caller's CSRF token; (status, body) without following redirects."""
    token = who.csrf("/account")
    answer = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return answer.status_code, answer.text


def track(
    client: TestClient, *, judges: int = 3, teams: tuple[str, ...] = ("Alfa", "Beta", "Gamma")
) -> Track:
    """The fixture bundle loaded, `judges` judges assigned by a site organiser, the teams made."""
    load_project(client)
    with Session(engine_of(client)) as session:
        found = session.exec(select(Challenge.id).where(Challenge.slug == SLUG)).one()
    assert found is not None
    cid = found
    org = person(client, "org@example.org", "Olga", Role.organiser)
    people = [
        person(client, f"judge{n}@example.org", f"Judge {n}", Role.judge) for n in range(judges)
    ]
    for judge in people:
        status, text = post(org, f"/organise/{SLUG}/judges", email=judge.email)
        assert status == 303, text
    captains = [person(client, f"cap{n}@example.org", f"Cap {n}") for n in range(len(teams))]
    made = {
        name: team_for(client, cid, cap, name) for name, cap in zip(teams, captains, strict=True)
    }
    for name, cap in zip(teams, captains, strict=True):
        handed_in(client, cid, made[name], cap.user_id)
    return Track(cid, org, people, captains, made)


def handed_in(client: TestClient, challenge_id: int, team_id: int, author_id: int) -> None:
    """The team's project saved (now, inside the fixture's phase): it is to be reviewed."""
    with Session(engine_of(client)) as session:
        project = Project(challenge_id=challenge_id, team_id=team_id)
        session.add(project)
        session.flush()
        assert project.id is not None
        session.add(
            ProjectVersion(
                project_id=project.id, number=1, title=f"Project of team {team_id}",
                summary="A prototype.", links={}, licence="EUPL-1.2", author_id=author_id,
            )
        )  # fmt: skip
        session.commit()


def pairs(client: TestClient, challenge_id: int) -> list[tuple[int, int, str]]:
    """(team, judge, source) of every stored assignment, in order."""
    with Session(engine_of(client)) as session:
        rows = session.exec(
            select(ReviewAssignment)
            .where(ReviewAssignment.challenge_id == challenge_id)
            .order_by(col(ReviewAssignment.team_id), col(ReviewAssignment.judge_id))
        ).all()
        return [(r.team_id, r.judge_id, str(r.source)) for r in rows]
