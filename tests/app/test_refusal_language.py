"""Refusals of the team and account services are said in the language of the request.

A service has no template at hand: it reads the language the request chose (`use_language`
here, LanguageMiddleware on the site). Each case runs the real service on a real database
and checks the Italian reader reads Italian, and the English reader English.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts import admin, tokens
from app.accounts.lifecycle import set_password
from app.accounts.models import Role
from app.accounts.service import create_user
from app.core.refusal import Refusal
from app.i18n import use_language
from app.teams import service as teams
from tests.factories import make_challenge, make_team, make_user

Case = Callable[[Session], object]


def _bad_name(db: Session) -> object:
    challenge, _ = make_challenge(db)
    return teams.create_team(db, challenge, make_user(db).id or 0, "!")


def _name_taken(db: Session) -> object:
    challenge, _ = make_challenge(db)
    make_team(db, challenge, make_user(db))
    return teams.create_team(db, challenge, make_user(db, "bo@example.org").id or 0, "Delfini")


def _already_in_team(db: Session) -> object:
    challenge, _ = make_challenge(db)
    ada = make_user(db)
    make_team(db, challenge, ada)
    return teams.create_team(db, challenge, ada.id or 0, "Squali")


def _bad_code(db: Session) -> object:
    challenge, _ = make_challenge(db)
    return teams.join_by_code(db, challenge, make_user(db).id or 0, "nope")


def _team_full(db: Session) -> object:
    challenge, _ = make_challenge(db)
    challenge.config = {**challenge.config, "teams": {"max_size": 1}}
    team = make_team(db, challenge, make_user(db))
    return teams.join_by_code(
        db, challenge, make_user(db, "bo@example.org").id or 0, team.invite_code
    )


def _not_captain(db: Session) -> object:
    challenge, _ = make_challenge(db)
    team = make_team(db, challenge, make_user(db))
    return teams.new_code(db, team, make_user(db, "bo@example.org").id or 0)


def _captain_leaving(db: Session) -> object:
    challenge, _ = make_challenge(db)
    ada = make_user(db)
    team = make_team(db, challenge, ada)
    bo = make_user(db, "bo@example.org")
    teams.join_by_code(db, challenge, bo.id or 0, team.invite_code)
    return teams.leave(db, team, ada.id or 0)


def _bad_email(db: Session) -> object:
    return create_user(db, email="not-an-address", name="Ada", password="a long password")


def _email_taken(db: Session) -> object:
    make_user(db)
    return create_user(db, email="ada@example.org", name="Ada", password="a long password")


def _no_name(db: Session) -> object:
    return create_user(db, email="bo@example.org", name=" ", password="a long password")


def _short_password(db: Session) -> object:
    return set_password(db, make_user(db), "short")


def _self_demotion(db: Session) -> object:
    ada = make_user(db)
    return admin.change_role(db, ada, ada, Role.admin)


def _unnamed_token(db: Session) -> object:
    return tokens.create_token(db, make_user(db), "")


CASES: list[tuple[Case, str, str]] = [
    (_bad_name, "A team name has 3 to 80", "Il nome di una squadra"),
    (_name_taken, "already exists", "esiste già"),
    (_already_in_team, "already in a team", "già in una squadra"),
    (_bad_code, "invitation code", "codice di invito"),
    (_team_full, "at most 1 members", "al massimo 1"),
    (_not_captain, "Only the captain", "Solo il capitano"),
    (_captain_leaving, "Hand over captaincy", "Cedi il ruolo di capitano"),
    (_bad_email, "is not an email address", "non è un indirizzo email"),
    (_email_taken, "already exists", "Esiste già un account"),
    (_no_name, "Give a name", "Scegli un nome"),
    (_short_password, "at least", "almeno"),
    (_self_demotion, "your own role", "il tuo ruolo"),
    (_unnamed_token, "Name the token", "Dai al token"),
]


@pytest.mark.parametrize(("case", "english", "italian"), CASES, ids=[c[0].__name__ for c in CASES])
def test_a_refusal_speaks_the_readers_language(
    engine: Engine, case: Case, english: str, italian: str
) -> None:
    said: dict[str, str] = {}
    for lang in ("en", "it"):
        with Session(engine) as db, use_language(lang):
            refusal = case(db)
            db.rollback()
        assert isinstance(refusal, Refusal), refusal
        said[lang] = refusal.message
    assert english in said["en"], said["en"]
    assert italian in said["it"], said["it"]
    assert said["it"] != said["en"] and "{" not in said["it"]
