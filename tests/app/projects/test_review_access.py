"""Who may call each project review route on a real project track, role by role.

The authorization matrix (tests/authz) has no project track in its world, so there each of
these routes answers "nothing here" to the staff; here every role meets a project track:
anonymous, a participant (captain of a team), a judge of another challenge, a judge of this
one, an organiser who owns another challenge, this challenge's owner, and an admin. Every
call that is refused must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.accounts.models import Role
from app.projects.review_models import (
    AssignmentSource,
    ConflictDeclaration,
    JudgeProfile,
    ReviewAssignment,
)
from app.roles.models import RoleGrant, Scoped, Source
from tests.app.accounts.helpers import csrf_from
from tests.app.projects.review_helpers import JUDGE, ORGANISE, Track, post, track
from tests.app.projects_only.project_helpers import load_project
from tests.app.web.web_helpers import Person, challenge, engine_of, person

ROLES = (
    "anonymous",
    "participant",
    "other_judge",
    "judge",
    "other_organiser",
    "organiser",
    "admin",
)
LOGIN, FORBIDDEN, MISSING, ALLOWED = "login", "forbidden", "missing", "allowed"
ORGANISERS = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, MISSING, ALLOWED, ALLOWED)
JUDGES = (LOGIN, FORBIDDEN, MISSING, ALLOWED, MISSING, MISSING, MISSING)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    expect: tuple[str, ...]
    form: tuple[tuple[str, str], ...] = ()


def _calls(t: Track) -> list[Call]:
    team, judge = str(t.teams["Alfa"]), str(t.judges[0].user_id)
    return [
        Call("GET", ORGANISE, ORGANISERS),
        Call("POST", f"{ORGANISE}/assign", ORGANISERS),
        Call("POST", f"{ORGANISE}/add", ORGANISERS, (("team_id", team), ("judge_id", judge))),
        Call("POST", f"{ORGANISE}/remove", ORGANISERS, (("team_id", team), ("judge_id", judge))),
        Call("GET", JUDGE, JUDGES),
        Call("POST", f"{JUDGE}/affiliation", JUDGES, (("affiliation", "Comune"),)),
        Call("POST", f"{JUDGE}/conflicts", JUDGES, (("team_id", team), ("reason", "friend"))),
        Call("POST", f"{JUDGE}/conflicts/withdraw", JUDGES, (("team_id", team),)),
    ]


def _cast(client: TestClient, t: Track) -> dict[str, Person | None]:
    """The roles; the track's challenge gets an owner grant (its organiser), so a site
    organiser who owns another challenge runs only that one."""
    other_cid, _ = challenge(client, "elsewhere")
    other_org = person(client, "elsewhere@example.org", "Elsa", Role.organiser)
    with Session(engine_of(client)) as session:
        for user, cid in ((t.org, t.challenge_id), (other_org, other_cid)):
            session.add(
                RoleGrant(
                    email=user.email,
                    user_id=user.user_id,
                    role=Scoped.owner,
                    challenge_id=cid,
                    source=Source.web,
                )
            )
        session.commit()
    return {
        "anonymous": None,
        "participant": t.captains[0],
        "other_judge": person(client, "outside@example.org", "Otto", Role.judge),
        "judge": t.judges[0],
        "other_organiser": other_org,
        "organiser": t.org,
        "admin": person(client, "admin@example.org", "Ada", Role.admin),
    }


def _world(client: TestClient) -> tuple[int, int, int]:
    with Session(engine_of(client)) as session:
        return (
            session.exec(select(func.count()).select_from(ReviewAssignment)).one(),
            session.exec(select(func.count()).select_from(ConflictDeclaration)).one(),
            session.exec(select(func.count()).select_from(JudgeProfile)).one(),
        )


def _reset(client: TestClient, t: Track, path: str) -> None:
    """The same starting point for every caller: no assignment or conflict, except the one
    that a removal or withdrawal acts on."""
    team, judge = t.teams["Alfa"], t.judges[0].user_id
    with Session(engine_of(client)) as session:
        for model in (ReviewAssignment, ConflictDeclaration):
            for row in session.exec(select(model)).all():
                session.delete(row)
        session.flush()  # deletions first: the row put back below has the same key
        if path.endswith("/remove"):
            session.add(
                ReviewAssignment(
                    challenge_id=t.challenge_id,
                    team_id=team,
                    judge_id=judge,
                    source=AssignmentSource.manual,
                )
            )
        if path.endswith("/withdraw"):
            session.add(
                ConflictDeclaration(challenge_id=t.challenge_id, team_id=team, judge_id=judge)
            )
        session.commit()


def _outcome(status: int, location: str) -> str:
    if status in (302, 303, 307) and "/login" in location:
        return LOGIN
    if 200 <= status < 400:
        return ALLOWED
    return {403: FORBIDDEN, 404: MISSING}.get(status, f"status {status}")


def test_each_role_gets_what_it_should_on_a_project_track(client: TestClient) -> None:
    t = track(client, judges=2, teams=("Alfa", "Beta"))
    cast = _cast(client, t)
    anonymous = TestClient(client.app, base_url=str(client.base_url))
    for call in _calls(t):
        for role, expected in zip(ROLES, call.expect, strict=True):
            who = cast[role]
            browser = who.client if who is not None else anonymous
            _reset(client, t, call.path)
            before = _world(client)
            if call.method == "GET":
                answer = browser.get(call.path, follow_redirects=False)
            else:
                token = csrf_from(browser.get("/login" if who is None else "/account").text)
                answer = browser.post(
                    call.path,
                    data={**dict(call.form), "csrf_token": token},
                    follow_redirects=False,
                )
            got = _outcome(answer.status_code, answer.headers.get("location", ""))
            assert got == expected, (call.method, call.path, role, answer.status_code)
            if got != ALLOWED:
                assert _world(client) == before, (call.path, role)
            elif call.method == "POST":
                assert _world(client) != before, (call.path, role)  # it did something


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "This challenge has no project track"), ("it", "non è un percorso a progetti")],
)
def test_a_challenge_without_a_project_track_has_no_review_pages(
    client: TestClient, lang: str, words: str
) -> None:
    challenge(client, "sea-temp")  # scored on a board
    org = person(client, "org@example.org", "Olga", Role.organiser)
    answer = org.client.get(f"/organise/sea-temp/reviews?lang={lang}")
    assert answer.status_code == 404 and words in answer.text
    status, text = post(org, f"/organise/sea-temp/reviews/assign?lang={lang}")
    assert status == 404 and words in text
    outsider = person(client, "outside@example.org", "Otto", Role.judge)
    load_project(client)
    told = outsider.client.get(f"{JUDGE}?lang={lang}")
    assert told.status_code == 404
    assert ("ask the organisers" if lang == "en" else "chiedi agli organizzatori") in told.text
