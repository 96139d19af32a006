"""A challenge with two teams, a lone participant and its organiser, and posting as them."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.core.db import session_scope
from app.roles.models import RoleGrant, Scoped, Source
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for

SLUG = "sea-temp"
PAGE = f"/challenges/{SLUG}/questions"
ORGANISE = f"/organise/{SLUG}/questions"


@dataclass
class World:
    cid: int
    ada: Person  # captain of Delfini
    bea: Person  # Delfini, joined
    eve: Person  # captain of Balene
    solo: Person  # signed in, in no team
    boss: Person  # owner of the challenge
    other: Person  # owner of another challenge only


def grant_owner(client: TestClient, who: Person, challenge_id: int) -> None:
    with session_scope(engine_of(client)) as session:
        session.add(
            RoleGrant(
                email=who.email,
                user_id=who.user_id,
                role=Scoped.owner,
                challenge_id=challenge_id,
                source=Source.web,
            )
        )


def join(client: TestClient, team_id: int, who: Person, challenge_id: int) -> None:
    from app.teams.models import Membership

    with session_scope(engine_of(client)) as session:
        assert isinstance(session, Session)
        session.add(Membership(team_id=team_id, user_id=who.user_id, challenge_id=challenge_id))


def world(client: TestClient) -> World:
    cid, _pid = challenge(client, SLUG)
    other_cid, _ = challenge(client, "river-flow")
    ada = person(client, "ada@example.org", "Ada")
    bea = person(client, "bea@example.org", "Bea")
    eve = person(client, "eve@example.org", "Eve")
    solo = person(client, "solo@example.org", "Solo")
    boss = person(client, "boss@example.org", "Boss", Role.participant)
    other = person(client, "other@example.org", "Otto", Role.participant)
    delfini = team_for(client, cid, ada, "Delfini")
    join(client, delfini, bea, cid)
    team_for(client, cid, eve, "Balene")
    grant_owner(client, boss, cid)
    grant_owner(client, other, other_cid)
    return World(cid, ada, bea, eve, solo, boss, other)


def post(who: Person, path: str, csrf_from: str, **data: str) -> tuple[int, str, str]:
    token = who.csrf(csrf_from)
    response = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def ask(who: Person, text: str, phase: str = "") -> tuple[int, str, str]:
    return post(who, PAGE + "?lang=en", PAGE, text=text, phase=phase)


def question_ids(client: TestClient) -> list[int]:
    from sqlmodel import col, select

    from app.questions.models import Question

    with session_scope(engine_of(client)) as session:
        return [q.id for q in session.exec(select(Question).order_by(col(Question.id))) if q.id]
