"""Team rules on both databases: one team per challenge, sizes, invitations, captaincy."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.refusal import Refusal
from app.models import Challenge, Team
from app.teams import service
from tests.factories import make_challenge, make_user

SECRET = "test-secret-key"


def _challenge(session: Session, max_size: int = 2) -> Challenge:
    challenge, _ = make_challenge(session)
    challenge.config = {**challenge.config, "teams": {"min_size": 1, "max_size": max_size}}
    session.add(challenge)
    session.flush()
    return challenge


def test_create_and_join_by_code_until_full(engine: Engine) -> None:
    with Session(engine) as session:
        challenge = _challenge(session, max_size=2)
        ada, bob, eve = (make_user(session, f"{n}@x.org", n) for n in ("ada", "bob", "eve"))
        team = service.create_team(session, challenge, ada.id or 0, "  I   Delfini ")
        assert isinstance(team, Team) and team.name == "I Delfini" and team.captain_id == ada.id
        assert service.join_by_code(session, challenge, bob.id or 0, team.invite_code) == team
        full = service.join_by_code(session, challenge, eve.id or 0, team.invite_code)
        assert isinstance(full, Refusal) and full.code == "team_full"
        assert "at most 2" in full.message


def test_one_team_per_challenge_and_unique_names(engine: Engine) -> None:
    with Session(engine) as session:
        challenge = _challenge(session)
        ada = make_user(session, "ada@x.org", "Ada")
        bob = make_user(session, "bob@x.org", "Bob")
        first = service.create_team(session, challenge, ada.id or 0, "Delfini")
        assert isinstance(first, Team)
        again = service.create_team(session, challenge, ada.id or 0, "Balene")
        assert isinstance(again, Refusal) and again.code == "already_in_team"
        taken = service.create_team(session, challenge, bob.id or 0, "Delfini")
        assert isinstance(taken, Refusal) and taken.code == "name_taken"
        bad = service.create_team(session, challenge, bob.id or 0, "<script>")
        assert isinstance(bad, Refusal) and bad.code == "bad_name"


def test_signed_invite_link_joins_and_is_revoked_by_a_new_code(engine: Engine) -> None:
    with Session(engine) as session:
        challenge = _challenge(session, max_size=4)
        ada, bob, eve = (make_user(session, f"{n}@x.org", n) for n in ("ada", "bob", "eve"))
        team = service.create_team(session, challenge, ada.id or 0, "Delfini")
        assert isinstance(team, Team)
        token = service.invite_link_token(SECRET, team)
        assert service.join_by_link(session, challenge, bob.id or 0, token, SECRET) == team
        forged = service.join_by_link(session, challenge, eve.id or 0, token + "x", SECRET)
        assert isinstance(forged, Refusal) and forged.code == "bad_link"
        service.regenerate_code(session, team)
        stale = service.join_by_link(session, challenge, eve.id or 0, token, SECRET)
        assert isinstance(stale, Refusal) and stale.code == "bad_link"


def test_invite_link_expires(engine: Engine) -> None:
    with Session(engine) as session:
        challenge = _challenge(session, max_size=4)
        ada, bob = (make_user(session, f"{n}@x.org", n) for n in ("ada", "bob"))
        team = service.create_team(session, challenge, ada.id or 0, "Delfini")
        assert isinstance(team, Team)
        token = service.invite_link_token(SECRET, team)
        time.sleep(1.1)  # the link is now older than the one second allowed below
        expired = service.join_by_link(session, challenge, bob.id or 0, token, SECRET, max_age_s=0)
        assert isinstance(expired, Refusal) and expired.code == "link_expired"


def test_captain_hands_over_before_leaving(engine: Engine) -> None:
    with Session(engine) as session:
        challenge = _challenge(session, max_size=3)
        ada, bob = (make_user(session, f"{n}@x.org", n) for n in ("ada", "bob"))
        team = service.create_team(session, challenge, ada.id or 0, "Delfini")
        assert isinstance(team, Team) and team.id
        service.join_by_code(session, challenge, bob.id or 0, team.invite_code)
        refused = service.leave(session, team, ada.id or 0)
        assert isinstance(refused, Refusal) and refused.code == "captain_must_hand_over"
        assert service.hand_over(session, team, ada.id or 0, bob.id or 0) == team
        assert service.leave(session, team, ada.id or 0) is None
        session.flush()
        assert [m.user_id for m in service.members(session, team.id)] == [bob.id]
        assert service.team_of(session, challenge.id or 0, ada.id or 0) is None
