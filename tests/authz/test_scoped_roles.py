"""Roles scoped to an event or a challenge, against every staff route of the matrix.

Every row of tests/authz/authz_table.py that the site organiser may call and a plain
participant may not is called again by people whose roles are scoped (app/roles):

- `event_organiser`: organiser of the world's event, which holds the world's challenge;
- `owner`: owner of the world's challenge only;
- `sibling_owner`: owner of another challenge of the same event;
- `elsewhere`: organiser of another event.

None of them has a site-wide role. The first two run the world, so they get what the row
gives the site organiser (the owner: except the event's own routes); the last two run
something else, so every route naming an object of the world is closed to them (404 or 403),
changes nothing, and no answer of any route carries the world's private data or its slug.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.events.models import Event
from app.roles.models import RoleGrant, Scoped, Source
from tests.app.web.web_helpers import engine_of, person
from tests.authz.authz_table import (
    EVENT_ORGANISERS,
    EVENT_PEOPLE,
    JUDGES,
    ORGANISERS,
    RESULTS_PREVIEW,
    TABLE,
    TEAM_AND_ORGANISERS,
    Row,
)
from tests.authz.authz_world import (
    PRIVATE_SHOWN,
    SECRET,
    STAFF_ONLY,
    Cast,
    World,
    build_world,
    snapshot,
)
from tests.authz.test_authorization_matrix import PLACEHOLDER, _call, _fill, _outcome

INSIDERS = ("event_organiser", "owner")
OUTSIDERS = ("sibling_owner", "elsewhere")
SCOPED = INSIDERS + OUTSIDERS


STAFF_PATTERNS = {
    ORGANISERS,
    TEAM_AND_ORGANISERS,
    EVENT_ORGANISERS,
    RESULTS_PREVIEW,
    EVENT_PEOPLE,
    JUDGES,
}
# Starting a challenge is for site and event organisers: an owner runs only the one they own.
OVERRIDES = {
    ("POST", "/organise/upload"): {"owner": "closed", "sibling_owner": "closed"},
    # The events' page lists the events a person organises: an owner's is empty.
    ("GET", "/organise/events"): {"owner": "open"},
    # Only administrators create events: the row's not-a-zip is refused for all who may enter.
    ("POST", "/organise/events/upload"): {"event_organiser": "open", "owner": "open"},
}


def _staff_only(row: Row) -> bool:
    return row.expect in STAFF_PATTERNS


ROWS = [row for row in TABLE if _staff_only(row)]


def _names_the_world(row: Row) -> bool:
    return PLACEHOLDER.search(row.path) is not None


def _of_the_event(row: Row) -> bool:
    return row.use.get("slug") == "event" or row.path.startswith("/events/")


@pytest.fixture(scope="module")
def scoped_cast(cast: Cast) -> Cast:
    """The matrix's cast, plus four people with roles over one event or challenge only."""
    site = cast.site
    emails = {
        "event_organiser": "eventorg@example.org",
        "owner": "owner@example.org",
        "sibling_owner": "sibling@example.org",
        "elsewhere": "elsewhere@example.org",
    }
    for role, email in emails.items():
        cast.people[role] = person(site, email, role.replace("_", " ").title(), Role.participant)
        who = cast.people[role]
        assert who is not None
        cast.csrf[role] = who.csrf("/account")
    now = utcnow()
    with Session(engine_of(site)) as session:
        other = Event(
            slug="event-elsewhere",
            title={"it": "Altrove", "en": "Elsewhere"},
            summary={"it": "s", "en": "s"},
            config={},
            pages={},
            logos={},
            registration_opens=now,
            registration_closes=now + timedelta(days=1),
            starts_at=now,
            ends_at=now + timedelta(days=2),
            results_at=now + timedelta(days=3),
            published=True,
        )
        session.add(other)
        session.flush()
        session.add(
            RoleGrant(
                email=emails["elsewhere"],
                user_id=cast.user_id("elsewhere"),
                role=Scoped.organiser,
                event_id=other.id,
                source=Source.web,
            )
        )
        session.commit()
    return cast


def claim(cast: Cast, world: World) -> None:
    """Puts the world's challenge in the world's event, with a sibling, and gives the roles."""
    with Session(engine_of(cast.site)) as session:
        event = session.exec(select(Event).where(Event.slug == world.event_slug)).one()
        challenge = session.get(Challenge, world.challenge_id)
        assert challenge is not None and event.id is not None
        challenge.event_id = event.id
        sibling = Challenge(
            slug=f"{world.slug}-sibling",
            title={"it": "Sorella", "en": "Sibling"},
            summary={"it": "s", "en": "s"},
            theme="sea",
            config={},
            bundle_sha256="1" * 64,
            published=True,
            event_id=event.id,
        )
        session.add(challenge)
        session.add(sibling)
        session.flush()
        for role, scoped, over in (
            ("event_organiser", Scoped.organiser, {"event_id": event.id}),
            ("owner", Scoped.owner, {"challenge_id": challenge.id}),
            ("sibling_owner", Scoped.owner, {"challenge_id": sibling.id}),
        ):
            session.add(
                RoleGrant(
                    email=cast.email(role),
                    user_id=cast.user_id(role),
                    role=scoped,
                    source=Source.web,
                    **over,
                )
            )
        session.commit()


@pytest.fixture(scope="module")
def scoped_world(scoped_cast: Cast) -> World:
    world = build_world(scoped_cast, "scoped-sea")
    claim(scoped_cast, world)
    return world


def _expected(row: Row, role: str) -> str:
    override = OVERRIDES.get(row.key, {}).get(role)
    if override is not None:
        return override
    if role == "event_organiser":
        return "allowed"
    if role == "owner":
        return "closed" if _of_the_event(row) else "allowed"
    return "closed" if _names_the_world(row) else "open"


def _check(cast: Cast, world: World, row: Row, role: str) -> list[str]:
    values: dict[str, object] = {
        **world.params(),
        "email": cast.email(role),
        "judge_email": cast.email("judge"),
        "n": next(cast.counter),
    }
    values.update({param: values[source] for param, source in row.use.items()})
    path = _fill(row.path + row.query, values)
    before = snapshot(cast.site, world)
    answer = _call(cast, row, role, path, values)
    after = snapshot(cast.site, world)
    got = _outcome(row, path, answer)
    wanted = _expected(row, role)
    seen = f"{answer.status} {answer.location} {answer.body[:300]!r}"
    changed = {entry for entry in before if before[entry] != after[entry]}
    problems: list[str] = []
    if wanted == "allowed":
        if got != "allowed":
            problems.append(f"{role}: allowed expected, got {got} ({seen})")
        elif answer.status < 300 and _fill(row.text, values) not in answer.body:
            problems.append(f"{role}: {_fill(row.text, values)!r} not in the answer ({seen})")
        declared = {e for e, roles in row.changed_by().items() if "organiser" in roles}
        if changed != declared:
            problems.append(f"{role}: changed {sorted(changed)}, the row says {sorted(declared)}")
        if (SECRET in answer.body) != ("organiser" in row.shown_to):
            problems.append(f"{role}: team A's private data differs from the organiser's answer")
        return problems
    if wanted == "closed" and got not in ("missing", "forbidden"):
        problems.append(f"{role}: closed (404 or 403) expected, got {got} ({seen})")
    if wanted == "open" and got.startswith(("server error", "login")):
        problems.append(f"{role}: got {got} ({seen})")
    if changed:
        problems.append(f"{role}: changed {sorted(changed)} in a world they do not run")
    leaks = [
        (SECRET, "team A's private data"),
        (STAFF_ONLY, "the organisers' logs"),
        (PRIVATE_SHOWN, "the private score"),
        (cast.email("captain"), "a participant's e-mail"),
    ]
    if wanted == "open":  # a list of what they run (the world is published: its name is not)
        leaks.append((f"/{world.slug}", "the world's challenge"))
        leaks.append((world.event_slug, "the world's event"))
    for leak, what in leaks:
        if re.search(re.escape(leak) + r"(?![\w-])", answer.body):
            problems.append(f"{role}: {what} leaked in the answer ({seen})")
    return problems


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
def test_scoped_roles_reach_only_what_they_run(
    scoped_cast: Cast, scoped_world: World, row: Row
) -> None:
    problems: list[str] = []
    for role in SCOPED:
        if row.fresh:
            target = build_world(scoped_cast, f"scoped-{next(scoped_cast.counter)}")
            claim(scoped_cast, target)
            if row.prepare is not None:
                row.prepare(scoped_cast.site, target)
        else:
            target = scoped_world
        problems += _check(scoped_cast, target, row, role)
    assert not problems, f"{row.method} {row.path}:\n" + "\n".join(problems)


def test_the_sweep_covers_the_staff_routes() -> None:
    """The rows above are the staff's: organiser pages, exports, rescoring, events' desks."""
    paths = {row.path for row in ROWS}
    for needed in (
        "/organise/{slug}",
        "/organise/{slug}/audit",
        "/organise/{slug}/export/submissions.csv",
        "/organise/{slug}/rescores",
        "/organise/dashboard",
        "/events/{slug}/check-in",
    ):
        assert needed in paths, needed
    assert any(_of_the_event(r) for r in ROWS) and any(not _names_the_world(r) for r in ROWS)
