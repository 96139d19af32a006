"""Small builders for rows the tests need; they go through the models like the app does."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session

from app.core.db import utcnow
from app.models import Challenge, Membership, Phase, Team, User


def make_user(session: Session, email: str = "ada@example.org", name: str = "Ada") -> User:
    user = User(email=email, name=name)
    session.add(user)
    session.flush()
    return user


def make_challenge(session: Session, slug: str = "sea-temp") -> tuple[Challenge, Phase]:
    challenge = Challenge(
        slug=slug,
        title={"it": "Temperatura", "en": "Temperature"},
        summary={"it": "s", "en": "s"},
        theme="sea",
        config={"leaderboard": {"rank_by": "rmse"}},
        bundle_sha256="0" * 64,
        published=True,
    )
    session.add(challenge)
    session.flush()
    assert challenge.id is not None
    now = utcnow()
    phase = Phase(
        challenge_id=challenge.id,
        name="development",
        title={"it": "Sviluppo", "en": "Development"},
        kind="predictions",
        start=now - timedelta(days=1),
        end=now + timedelta(days=10),
    )
    session.add(phase)
    session.flush()
    return challenge, phase


def make_team(session: Session, challenge: Challenge, captain: User, name: str = "Delfini") -> Team:
    assert challenge.id is not None and captain.id is not None
    team = Team(
        challenge_id=challenge.id,
        name=name,
        captain_id=captain.id,
        invite_code=secrets.token_hex(8),
    )
    session.add(team)
    session.flush()
    assert team.id is not None
    session.add(Membership(team_id=team.id, user_id=captain.id, challenge_id=challenge.id))
    session.flush()
    return team
