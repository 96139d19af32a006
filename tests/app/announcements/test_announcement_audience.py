"""Who an announcement names, unit by unit on a real database: exactly the right people."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.announcements import service
from app.announcements.models import Announcement, Audience
from app.announcements.service import Draft, Place, Target
from app.challenges.models import Challenge
from app.core.refusal import Refusal
from app.events.models import Event
from tests.app.announcements.ann_helpers import World
from tests.app.web.web_helpers import engine_of


def _post(db: Session, where: str, audience: Audience) -> Announcement:
    actor = db.exec(select(User).where(User.email == "organiser@example.org")).one()
    event = db.exec(select(Event).where(Event.slug == "festa")).one()
    sea = db.exec(select(Challenge).where(Challenge.slug == "sea")).one()
    target = {
        "challenge": Target(event=event, challenge=sea),
        "track": Target(event=event, track="sky"),
        "event": Target(event=event),
    }[where]
    made = service.post(db, actor, target, Draft({"it": "t"}, {"it": "b"}, audience.value))
    assert not isinstance(made, Refusal)
    return made


CASES = [
    ("challenge", Audience.teams, ["sea_done", "sea_idle"]),
    ("challenge", Audience.not_submitted, ["sea_idle"]),
    ("challenge", Audience.judges, ["judge"]),
    ("challenge", Audience.registered, ["registered", "sea_done", "english"]),
    ("challenge", Audience.everyone, ["registered", "sea_done", "sea_idle", "english"]),
    ("track", Audience.teams, ["air_member"]),
    ("track", Audience.judges, []),
    ("event", Audience.teams, ["sea_done", "sea_idle", "air_member"]),
    ("event", Audience.not_submitted, ["sea_idle", "air_member"]),
    ("event", Audience.judges, ["judge"]),
]


@pytest.mark.parametrize(("where", "audience", "names"), CASES)
def test_the_audience_is_exactly_the_people_named(
    client: TestClient, world: World, where: str, audience: Audience, names: list[str]
) -> None:
    with Session(engine_of(client)) as db:
        a = _post(db, where, audience)
        assert [u.id for u in service.audience_of(db, a)] == world.ids(*names)
        # and the pages' rule agrees: the audience reads it, no one else (but its organisers)
        for name, p in world.people.items():
            reader = service.reader_of(db, db.get(User, p.user_id))
            expected = name in names or name == "organiser" or audience == Audience.everyone
            assert service.sees(db, reader, Place.of(a)) is expected, name
        assert service.sees(db, service.ANONYMOUS, Place.of(a)) is (audience == Audience.everyone)


def test_only_the_places_organisers_may_post(client: TestClient, world: World) -> None:
    with Session(engine_of(client)) as db:
        festa = db.exec(select(Event).where(Event.slug == "festa")).one()
        sea = db.exec(select(Challenge).where(Challenge.slug == "sea")).one()
        for name, may in (("organiser", True), ("rival", False), ("judge", False)):
            user = db.get(User, world.people[name].user_id)
            scope = service.reader_of(db, user).scope
            assert service.may_manage(db, scope, Target(event=festa)) is may, name
            assert service.may_manage(db, scope, Target(event=festa, challenge=sea)) is may, name


def test_a_mail_goes_only_to_verified_addresses(client: TestClient, world: World) -> None:
    with Session(engine_of(client)) as db:
        a = _post(db, "challenge", Audience.teams)
        idle = db.get(User, world.people["sea_idle"].user_id)
        assert idle is not None
        idle.email_verified = False
        mails = service.mail_audience(db, client.app.state.settings, a)  # type: ignore[attr-defined]
        assert [m.to_address for m in mails] == ["sea_done@example.org"]
        assert a.mailed_at is not None
