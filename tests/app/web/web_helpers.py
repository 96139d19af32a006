"""Builders for the web tests: people with a session or a token, a challenge, a team."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.accounts.models import Role, User
from app.accounts.tokens import create_token
from app.challenges.models import Challenge, Phase
from app.core.db import session_scope
from app.teams.models import Team
from tests.app.accounts.helpers import APP_URL, csrf_from, log_in, sign_up
from tests.factories import make_challenge, make_team

BOARD = {
    "leaderboard": {
        "rank_by": "rmse",
        "columns": [
            {"key": "rmse", "better": "lower", "precision": 3, "label": {"en": "RMSE"}},
            {"key": "mae", "better": "lower", "precision": 2, "label": {"en": "MAE"}},
        ],
    },
    "teams": {"min_size": 1, "max_size": 3},
}


def engine_of(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


@dataclass
class Person:
    client: TestClient
    user_id: int
    token: str
    email: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def csrf(self, path: str) -> str:
        return csrf_from(self.client.get(path).text)


def person(
    client: TestClient,
    email: str,
    name: str,
    role: Role = Role.participant,
    *,
    verified: bool = True,
) -> Person:
    """A signed-up user with their own browser (cookie jar) and an API token.

    Verified by default, as if they had followed the link: a role given to an address
    (event.yaml, an invitation) applies to an account only once its address is verified."""
    browser = TestClient(client.app, base_url=APP_URL)
    sign_up(browser, email, name=name)
    assert log_in(browser, email) == 303
    with session_scope(engine_of(client)) as session:
        from sqlmodel import select

        user = session.exec(select(User).where(User.email == email)).one()
        user.role = role
        user.email_verified = verified
        session.add(user)
        made = create_token(session, user, "tests")
        assert not isinstance(made, Exception) and hasattr(made, "secret")
        assert user.id is not None
        return Person(browser, user.id, made.secret, email)  # type: ignore[union-attr]


def challenge(client: TestClient, slug: str = "sea-temp", **phase: object) -> tuple[int, int]:
    with session_scope(engine_of(client)) as session:
        ch, ph = make_challenge(session, slug)
        ch.config = dict(BOARD)
        for key, value in phase.items():
            setattr(ph, key, value)
        session.add(ch)
        session.add(ph)
        assert ch.id is not None and ph.id is not None
        return ch.id, ph.id


def team_for(client: TestClient, challenge_id: int, owner: Person, name: str) -> int:
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, challenge_id)
        user = session.get(User, owner.user_id)
        assert ch is not None and user is not None
        team: Team = make_team(session, ch, user, name)
        assert team.id is not None
        return team.id


def phase_of(client: TestClient, phase_id: int) -> Phase:
    with session_scope(engine_of(client)) as session:
        phase = session.get(Phase, phase_id)
        assert phase is not None
        return phase
