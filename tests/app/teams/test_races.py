"""Team actions racing each other through the real routes, on SQLite (a file) and PostgreSQL.

An outside tester grew a team with `max_size: 4` to 7 members by joining from many clients
at once: the size check and the insert ran in different moments. Two tables here:

- JOIN_ROUTES: every way of joining (API and pages, code and signed link), flooded by more
  joiners than the team has places. The team ends exactly full and every refused joiner gets
  the "team is full" answer.
- RACES: pairs of team actions that touch the same team or the same person (hand over while
  leaving, leave while someone joins, create a team while joining one, a new code while
  joining with the old one, ...), sent at the same instant. Each race's answers and the
  teams it leaves behind must be those of one of the orders in which the two actions could
  have run one after the other; the allowed results are found by running every order
  sequentially first, so no expected outcome is written by hand.

Requests start together behind a barrier, and each race is run for several rounds (each on a
fresh challenge): one round may happen to run the actions one after the other, and the table
must still hold for every round.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.tokens import NewToken, create_token
from app.challenges.models import Challenge
from app.core.db import session_scope
from app.submissions.models import Submission
from app.teams import service
from app.teams.models import Membership, Team
from tests.app.accounts.helpers import APP_URL, PASSWORD, form_token, log_in
from tests.factories import make_challenge

PEOPLE = ("ada", "bob", "carol", "dan", "eve")
ROUNDS = 6
FLOOD = 10  # joiners racing for the free places of one team
MAX_SIZE = 3
FULL = "The team is full"


def _engine(site: TestClient) -> Engine:
    engine: Engine = site.app.state.engine  # type: ignore[attr-defined]
    return engine


@dataclass(frozen=True)
class Person:
    user_id: int
    token: str
    email: str


def _people(site: TestClient, names: tuple[str, ...]) -> dict[str, Person]:
    made: dict[str, Person] = {}
    with session_scope(_engine(site)) as session:
        for name in names:
            email = f"{name}@example.org"
            user = User(email=email, name=name, password_hash=_password_hash())
            session.add(user)
            session.flush()
            token = create_token(session, user, "races")
            assert isinstance(token, NewToken) and user.id is not None
            made[name] = Person(user.id, token.secret, email)
    return made


def _world(
    site: TestClient, slug: str, teams: dict[str, tuple[str, ...]], people: dict[str, Person]
) -> dict[str, Team]:
    """A published challenge with `teams` (name -> members, the first is captain)."""
    made: dict[str, Team] = {}
    with session_scope(_engine(site)) as session:
        challenge, _ = make_challenge(session, slug)
        challenge.config = {**challenge.config, "teams": {"min_size": 1, "max_size": MAX_SIZE}}
        session.add(challenge)
        assert challenge.id is not None
        for name, members in teams.items():
            team = Team(
                challenge_id=challenge.id,
                name=name,
                captain_id=people[members[0]].user_id,
                invite_code=f"{slug}-{name}",
            )
            session.add(team)
            session.flush()
            assert team.id is not None
            for member in members:
                session.add(
                    Membership(
                        team_id=team.id, user_id=people[member].user_id, challenge_id=challenge.id
                    )
                )
            made[name] = team
    return made


Snapshot = tuple[tuple[str, str, tuple[str, ...], int], ...]


def _snapshot(site: TestClient, slug: str) -> Snapshot:
    """Every team of the challenge: (name, captain, members, submissions); the captain must be
    one of the members."""
    with Session(_engine(site)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == slug)).one()
        names = {u.id: u.name for u in session.exec(select(User))}
        rows = []
        for team in session.exec(
            select(Team).where(Team.challenge_id == challenge.id).order_by(col(Team.name))
        ):
            assert team.id is not None
            members = tuple(sorted(names[m.user_id] for m in service.members(session, team.id)))
            assert names[team.captain_id] in members, f"{slug}: captain outside team {team.name}"
            made = session.exec(select(func.count()).where(Submission.team_id == team.id)).one()
            rows.append((team.name, names[team.captain_id], members, int(made)))
        orphans = session.exec(
            select(Membership).where(
                Membership.challenge_id == challenge.id,
                col(Membership.team_id).not_in(select(Team.id)),
            )
        ).all()
        assert not orphans, f"{slug}: memberships of teams that are gone"
        return tuple(rows)


def _race(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls at the same instant, one thread (and one client) each."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # one slow hash for everyone


def _caller(
    site: TestClient, person: Person, method: str, path: str, **body: Any
) -> Callable[[], httpx.Response]:
    """One request, ready to send: with the person's API token under /api/, else from a
    browser they logged in with (tokens work only for the API), the form's CSRF token
    included."""
    client = TestClient(site.app, base_url=APP_URL)
    # The refusals are told apart by their English words; pages speak Italian by default.
    headers: dict[str, str] = {"Accept-Language": "en"}
    if path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {person.token}"
    else:
        assert log_in(client, person.email) == 303
        body = {**body, "data": {**body.get("data", {}), "csrf_token": form_token(client, "/")}}

    def call() -> httpx.Response:
        return client.request(method, path, headers=headers, follow_redirects=False, **body)

    return call


def _refusal(response: httpx.Response) -> str:
    if "json" in response.headers.get("content-type", ""):
        error = response.json().get("error")
        if isinstance(error, dict):
            return str(error.get("message", ""))
    return response.text


# --- every way of joining, flooded --------------------------------------------------------


@dataclass(frozen=True)
class JoinRoute:
    name: str
    path: str  # {slug} and {token} are filled in
    body: Callable[[str, str], dict[str, Any]]  # (code, token) -> request keyword arguments
    joined: int  # the status of a successful join


JOIN_ROUTES = [
    JoinRoute("API, code", "/api/v1/challenges/{slug}/team/join",
              lambda code, token: {"json": {"code": code}}, 200),
    JoinRoute("API, link token", "/api/v1/challenges/{slug}/team/join",
              lambda code, token: {"json": {"token": token}}, 200),
    JoinRoute("page, code", "/challenges/{slug}/team/join",
              lambda code, token: {"data": {"code": code}}, 303),
    JoinRoute("page, link", "/challenges/{slug}/join/{token}", lambda code, token: {}, 303),
]  # fmt: skip


@pytest.mark.parametrize("route", JOIN_ROUTES, ids=lambda r: r.name)
def test_a_flood_of_joiners_fills_the_team_exactly(site: TestClient, route: JoinRoute) -> None:
    people = _people(site, ("ada", "bob", *(f"joiner{i}" for i in range(FLOOD))))
    slug = "flood"
    team = _world(site, slug, {"Delfini": ("ada", "bob")}, people)["Delfini"]
    secret = site.app.state.settings.resolved_secret_key()  # type: ignore[attr-defined]
    token = service.invite_link_token(secret, team)
    path = route.path.format(slug=slug, token=token)
    joiners = [people[f"joiner{i}"] for i in range(FLOOD)]
    calls = [_caller(site, p, "POST", path, **route.body(team.invite_code, token)) for p in joiners]
    answers = _race(calls)

    places = MAX_SIZE - 2
    joined = [a for a in answers if a.status_code == route.joined]
    refused = [a for a in answers if a.status_code != route.joined]
    assert len(joined) == places, [(a.status_code, _refusal(a)[:200]) for a in answers]
    for answer in refused:
        assert answer.status_code == 409 and FULL in _refusal(answer), _refusal(answer)[:300]
    (row,) = _snapshot(site, slug)
    assert len(row[2]) == MAX_SIZE, row


# --- pairs of actions on one team, against every serial order --------------------------------

Call = tuple[str, str, str]  # (who, action, argument)


@dataclass(frozen=True)
class Race:
    name: str
    teams: dict[str, tuple[str, ...]]  # name -> members, captain first
    calls: tuple[Call, ...]


RACES = [
    Race("hand over while the new captain leaves", {"Delfini": ("ada", "bob")},
         (("ada", "captain", "bob"), ("bob", "leave", ""))),
    Race("hand over while the old captain leaves", {"Delfini": ("ada", "bob")},
         (("ada", "captain", "bob"), ("ada", "leave", ""))),
    Race("the last member leaves while someone joins", {"Delfini": ("ada",)},
         (("ada", "leave", ""), ("bob", "join", "Delfini"))),
    Race("captain and teammate leave together", {"Delfini": ("ada", "bob")},
         (("ada", "leave", ""), ("bob", "leave", ""))),
    Race("create a team while joining another", {"Delfini": ("ada",)},
         (("bob", "create", "Balene"), ("bob", "join", "Delfini"))),
    Race("create two teams at once", {},
         (("bob", "create", "Balene"), ("bob", "create", "Orche"))),
    Race("two people create the same name", {},
         (("bob", "create", "Balene"), ("carol", "create", "Balene"))),
    Race("join two teams at once", {"Delfini": ("ada",), "Orche": ("eve",)},
         (("bob", "join", "Delfini"), ("bob", "join", "Orche"))),
    Race("two joiners for the last place", {"Delfini": ("ada", "bob")},
         (("carol", "join", "Delfini"), ("dan", "join", "Delfini"))),
    Race("join with the code the captain is replacing", {"Delfini": ("ada",)},
         (("ada", "code", ""), ("bob", "join", "Delfini"))),
    Race("the last member leaves while submitting", {"Delfini": ("ada",)},
         (("ada", "submit", ""), ("ada", "leave", ""))),
    Race("hand over, leave and join at once", {"Delfini": ("ada", "bob")},
         (("ada", "captain", "bob"), ("bob", "leave", ""), ("carol", "join", "Delfini"))),
]  # fmt: skip

# The refusals a race may legitimately end in, by a phrase of their message.
REFUSALS = {
    "full": FULL,
    "already_in_team": "already in a team",
    "name_taken": "already exists in this challenge",
    "bad_code": "has that invitation code",
    "not_member": "must be a member",
    "captain_must_hand_over": "Hand over captaincy",
    "not_in_team": "You are not in a team",
    "not_captain": "Only the captain",
    "last_member": "last member of a team with submissions",
    "no_team": "Join or create a team",
}


def _outcome(answer: httpx.Response) -> str:
    if answer.status_code < 400:
        return "ok"
    message = _refusal(answer)
    for code, phrase in REFUSALS.items():
        if phrase in message:
            return f"{answer.status_code} {code}"
    return f"{answer.status_code} unexpected: {message[:200]}"


def _calls(
    site: TestClient, slug: str, race: Race, people: dict[str, Person], teams: dict[str, Team]
) -> list[Callable[[], httpx.Response]]:
    api = f"/api/v1/challenges/{slug}"
    made = []
    for who, action, argument in race.calls:
        person = people[who]
        if action == "join":
            code = teams[argument].invite_code
            made.append(_caller(site, person, "POST", f"{api}/team/join", json={"code": code}))
        elif action == "create":
            made.append(_caller(site, person, "POST", f"{api}/teams", json={"name": argument}))
        elif action == "leave":
            made.append(_caller(site, person, "POST", f"{api}/team/leave"))
        elif action == "captain":
            body = {"user_id": people[argument].user_id}
            made.append(_caller(site, person, "POST", f"{api}/team/captain", json=body))
        elif action == "submit":
            upload = {"file": ("predictions.csv", b"id,value\n1,0.5\n")}
            made.append(_caller(site, person, "POST", f"{api}/submissions", files=upload))
        elif action == "code":
            made.append(_caller(site, person, "POST", f"{api}/team/code"))
        else:
            raise AssertionError(f"no such action {action!r}")
    return made


Result = tuple[tuple[str, ...], Snapshot]


def _serial_results(site: TestClient, race: Race, people: dict[str, Person]) -> set[Result]:
    """What the race may end in: its actions run one after the other, in every order."""
    results: set[Result] = set()
    for n, order in enumerate(itertools.permutations(range(len(race.calls)))):
        slug = f"serial-{n}"
        teams = _world(site, slug, race.teams, people)
        calls = _calls(site, slug, race, people, teams)
        outcomes: dict[int, str] = {i: _outcome(calls[i]()) for i in order}
        results.add((tuple(outcomes[i] for i in range(len(calls))), _snapshot(site, slug)))
    return results


@pytest.mark.parametrize("race", RACES, ids=lambda r: r.name)
def test_racing_team_actions_end_as_if_run_one_after_the_other(
    site: TestClient, race: Race
) -> None:
    people = _people(site, PEOPLE)
    allowed = _serial_results(site, race, people)
    for n in range(ROUNDS):
        slug = f"race-{n}"
        teams = _world(site, slug, race.teams, people)
        answers = _race(_calls(site, slug, race, people, teams))
        got = (tuple(_outcome(a) for a in answers), _snapshot(site, slug))
        assert got in allowed, f"round {n}: {got}\nthe serial orders give: {sorted(allowed)}"
