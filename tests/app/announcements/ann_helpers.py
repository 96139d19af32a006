"""One event with two challenges in two tracks, and a person for every audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from app.accounts.models import Role, User
from app.challenges.models import Challenge, Phase
from app.core.db import session_scope, utcnow
from app.events.models import Event, Registration
from app.roles.models import RoleGrant, Scoped, Source
from app.submissions.models import Submission
from app.teams.models import Membership
from tests.app.web.web_helpers import Person, engine_of, person
from tests.factories import make_challenge, make_team


@dataclass
class World:
    event_slug: str
    other_event_slug: str
    sea: int  # challenge id, track "water"
    air: int  # challenge id, track "sky"
    people: dict[str, Person]

    def ids(self, *names: str) -> list[int]:
        return sorted(self.people[n].user_id for n in names)


def _event(slug: str, title: str) -> Event:
    now = utcnow()
    return Event(
        slug=slug,
        title={"it": f"{title} (it)", "en": title},
        summary={"it": "s", "en": "s"},
        time_zone="Europe/Rome",
        config={"tracks": [{"slug": "water", "challenges": ["sea"]}, {"slug": "sky"}]},
        registration_opens=now - timedelta(days=5),
        registration_closes=now + timedelta(days=5),
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=2),
        results_at=now + timedelta(days=3),
        published=True,
    )


def build_world(client: TestClient) -> World:
    """organiser (of the event, by grant), rival (organiser of another event), registered,
    sea_done (team with a submission), sea_idle (team without), air_member, judge (of sea),
    outsider (nothing at all), english (registered, prefers English)."""
    names = [
        "organiser", "rival", "registered", "sea_done", "sea_idle", "air_member", "judge",
        "outsider", "english",
    ]  # fmt: skip
    people = {n: person(client, f"{n}@example.org", n.capitalize()) for n in names}
    with session_scope(engine_of(client)) as db:
        event, other = _event("festa", "Festa"), _event("altra", "Altra")
        db.add(event)
        db.add(other)
        db.flush()
        assert event.id is not None and other.id is not None
        sea, sea_phase = make_challenge(db, "sea")
        air, _air_phase = make_challenge(db, "air")
        sea.event_id, sea.track = event.id, "water"
        air.event_id, air.track = event.id, "sky"
        db.add(sea)
        db.add(air)
        db.flush()
        users = {
            n: db.exec(select(User).where(User.email == p.email)).one() for n, p in people.items()
        }
        for n in ("registered", "english", "sea_done"):
            db.add(Registration(event_id=event.id, user_id=users[n].id, status="registered"))
        db.add(Registration(event_id=event.id, user_id=users["outsider"].id, status="withdrawn"))
        users["english"].language = "en"
        users["registered"].language = "it"
        db.add(users["english"])
        db.add(users["registered"])
        db.add(RoleGrant(email="organiser@example.org", user_id=users["organiser"].id,
                         role=Scoped.organiser, event_id=event.id, source=Source.web))  # fmt: skip
        db.add(RoleGrant(email="rival@example.org", user_id=users["rival"].id,
                         role=Scoped.organiser, event_id=other.id, source=Source.web))  # fmt: skip
        db.add(RoleGrant(email="judge@example.org", user_id=users["judge"].id,
                         role=Scoped.judge, challenge_id=sea.id, source=Source.web))  # fmt: skip
        done = make_team(db, sea, users["sea_done"], "Fatto")
        make_team(db, sea, users["sea_idle"], "Ozio")
        make_team(db, air, users["air_member"], "Vento")
        assert sea_phase.id is not None and sea.id is not None and air.id is not None
        db.add(Submission(challenge_id=sea.id, phase_id=sea_phase.id, team_id=done.id,
                          user_id=users["sea_done"].id, kind="predictions", file_sha256="0" * 64,
                          filename="p.csv", size=1))  # fmt: skip
        assert db.exec(select(Membership)).all()
        assert db.exec(select(Phase)).all()
        return World("festa", "altra", sea.id, air.id, people)


def post_form(**values: str) -> dict[str, str]:
    form = {
        "title_it": "Cambio di orario",
        "title_en": "Change of time",
        "body_it": "La consegna è **alle 18**.",
        "body_en": "Submissions close **at 6 pm**.",
        "audience": "everyone",
        "intent": "save",
    }
    form.update(values)
    return form


def post(p: Person, path: str, **values: str) -> int:
    form = post_form(**values)
    form["csrf_token"] = p.csrf(path)
    response = p.client.post(path, data=form, follow_redirects=False)
    return response.status_code


__all__ = ["Challenge", "Role"]
