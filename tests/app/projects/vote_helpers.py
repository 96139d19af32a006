"""A project-only challenge with a people's choice vote, teams and voters, for the vote tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.accounts.models import Role
from app.challenges.models import Challenge
from app.core.db import session_scope, utcnow
from app.teams.models import Membership, Team
from app.teams.service import create_team
from tests.app.projects.review_helpers import handed_in
from tests.app.projects_only.project_helpers import SLUG, load_project
from tests.app.web.web_helpers import Person, engine_of, person

VOTE = f"/challenges/{SLUG}/vote"
ORGANISE = f"/organise/{SLUG}/votes"


def set_window(
    client: TestClient, *, opened: timedelta, closes: timedelta, max_votes: int = 2
) -> None:
    """Voting opened `opened` ago (negative: opens later) and closes `closes` from now."""
    now = utcnow()
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        config = dict(challenge.config)
        project = dict(config["project"])
        project["people_choice"] = {
            "max_votes": max_votes,
            "start": (now - opened).isoformat(),
            "end": (now + closes).isoformat(),
        }
        config["project"] = project
        challenge.config = config
        session.add(challenge)


def challenge_id(client: TestClient) -> int:
    with Session(engine_of(client)) as session:
        found = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        assert found.id is not None
        return found.id


def team_for(client: TestClient, captain: Person, name: str, *mates: Person) -> int:
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        team = create_team(session, challenge, captain.user_id, name)
        assert isinstance(team, Team) and team.id is not None and challenge.id is not None
        for mate in mates:
            session.add(
                Membership(team_id=team.id, user_id=mate.user_id, challenge_id=challenge.id)
            )
        team_id, challenge_id = team.id, challenge.id
    handed_in(client, challenge_id, team_id, captain.user_id)  # only projects are voted for
    return team_id


@dataclass
class Vote:
    """The world of a vote: three teams, their captains, voters and an organiser."""

    client: TestClient
    teams: dict[str, int]
    captains: dict[str, Person]
    voters: list[Person]
    boss: Person


def vote_world(client: TestClient, *, voters: int = 3, max_votes: int = 2) -> Vote:
    load_project(client)
    set_window(client, opened=timedelta(hours=1), closes=timedelta(days=1), max_votes=max_votes)
    captains = {
        name: person(client, f"{name.lower()}@example.org", f"Captain {name}")
        for name in ("Delfini", "Gabbiani", "Orche")
    }
    teams = {name: team_for(client, captains[name], name) for name in captains}
    people = [person(client, f"voter{i}@example.org", f"Voter {i}") for i in range(voters)]
    boss = person(client, "boss@example.org", "Boss", Role.organiser)
    return Vote(client, teams, captains, people, boss)


def post(who: Person, path: str, **form: object) -> Response:
    token = who.csrf(VOTE if path.startswith("/challenges") else ORGANISE)
    data = {key: str(value) for key, value in form.items()}
    response: Response = who.client.post(
        path, data={**data, "csrf_token": token}, follow_redirects=False
    )
    return response


def vote(who: Person, team_id: int, lang: str = "") -> Response:
    return post(who, VOTE + lang, team_id=team_id)


def withdraw(who: Person, team_id: int) -> Response:
    return post(who, VOTE + "/withdraw", team_id=team_id)


def flat(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
