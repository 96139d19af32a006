"""One account per address, however it is spelt; sign-up probing is slow (issue 11, point 15).

The table holds spellings of ada@example.org that look the same (or the same enough) to a
person: case, spaces, zero-width characters, the BOM, soft hyphens, full-width letters and
at-sign. Each must be the one account on every path that takes an address: sign-up
(refused as existing), login (into Ada's account), OpenID Connect (linked to Ada), the
`marea user` command, `user_by_email` (which the judges page uses); and migration 0003
folds old rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.identities import OidcLogin, ProviderClaims, login_with_provider
from app.accounts.models import User
from app.accounts.service import create_user, normalise_email, user_by_email
from app.core.db import alembic_config, make_engine, session_scope
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import PASSWORD, browser, form_token, log_in, sign_up

CANONICAL = "ada@example.org"
MAREA = str(Path(sys.executable).with_name("marea"))

# fmt: off
LOOK_ALIKES = {
    "upper case":                 "ADA@Example.ORG",
    "surrounding spaces":         "  ada@example.org \t",
    "zero-width space":           "ada\u200b@example.org",
    "zero-width non-joiner":      "a\u200cda@example.org",
    "zero-width joiner":          "ad\u200da@example.org",
    "word joiner in the domain":  "ada@exam\u2060ple.org",
    "byte order mark":            "\ufeffada@example.org",
    "soft hyphen":                "ad\u00ada@example.org",
    "left-to-right mark":         "ada\u200e@example.org",
    "full-width letters":         "\uff41\uff44\uff41@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff4f\uff52\uff47",
    "full-width at sign":         "ada\uff20example.org",
    "mixed":                      "\u200bＡda\u00ad＠EXAMPLE.org ",
}
# fmt: on


@pytest.mark.parametrize("spelling", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_normal_form_is_one_and_stable(spelling: str) -> None:
    assert normalise_email(spelling) == CANONICAL
    assert normalise_email(normalise_email(spelling)) == CANONICAL


def test_different_addresses_stay_different() -> None:
    """Folding stops where mail servers would tell addresses apart."""
    assert normalise_email("strasse@example.org") != normalise_email("straße@example.org")
    assert normalise_email("ada.l@example.org") != normalise_email("adal@example.org")


@pytest.mark.parametrize("spelling", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_look_alike_is_ada_on_the_site(site: TestClient, spelling: str) -> None:
    ada = browser(site, "203.0.113.1")
    sign_up(ada, CANONICAL, name="Ada")
    squatter = browser(site, "203.0.113.2")
    token = form_token(squatter, "/signup")
    refused = squatter.post(
        "/signup?lang=en",
        data={"name": "Not Ada", "email": spelling, "password": PASSWORD, "csrf_token": token},
    )
    assert (
        refused.status_code == 422 and f"An account with {CANONICAL} already exists" in refused.text
    )
    engine = site.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as db:
        assert [u.email for u in db.exec(select(User))] == [CANONICAL]
    # Logging in with the look-alike is logging in as Ada.
    assert log_in(squatter, spelling) == 303
    assert squatter.get("/api/v1/me").json()["name"] == "Ada"


@pytest.mark.parametrize("spelling", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_look_alike_is_ada_for_providers_and_lookups(engine: Engine, spelling: str) -> None:
    with session_scope(engine) as db:
        ada = create_user(db, email=spelling, name="Ada", password=PASSWORD)
        assert isinstance(ada, User) and ada.email == CANONICAL
        assert user_by_email(db, f" {spelling.upper()} ") is ada
        claims = ProviderClaims(
            issuer="https://id.example.org",
            subject="s-1",
            email=spelling,
            email_verified=True,
            name=None,
        )
        linked = login_with_provider(db, claims)
        assert isinstance(linked, OidcLogin) and linked.linked and linked.user.id == ada.id
        again = create_user(db, email=CANONICAL, name="Other", password=PASSWORD)
        assert isinstance(again, Refusal) and again.field == "email"


def test_addresses_with_spaces_or_controls_inside_are_refused(engine: Engine) -> None:
    with session_scope(engine) as db:
        for bad in ("ada lovelace@example.org", "ada\n@example.org", "ada\u00a0x@example.org"):
            refused = create_user(db, email=bad, name="Ada", password=PASSWORD)
            assert isinstance(refused, Refusal) and refused.field == "email", bad


def _env(site: TestClient) -> dict[str, str]:
    settings: Settings = site.app.state.settings  # type: ignore[attr-defined]
    return {
        **os.environ,
        "MAREA_DATA_DIR": str(settings.data_dir),
        "MAREA_DATABASE_URL": settings.database_url,
        "MAREA_REDIS_URL": settings.redis_url,
    }


def test_the_cli_folds_addresses_too(site: TestClient) -> None:
    sign_up(browser(site), CANONICAL)
    env = _env(site)
    run = [MAREA, "user", "create", LOOK_ALIKES["full-width letters"], "--name", "X"]
    twin = subprocess.run(
        [*run, "--password", PASSWORD], env=env, capture_output=True, text=True, timeout=120
    )
    assert twin.returncode == 1 and "already exists" in twin.stderr
    role = subprocess.run(
        [MAREA, "user", "role", LOOK_ALIKES["zero-width space"], "judge"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert role.returncode == 0 and f"{CANONICAL} is now judge" in role.stdout, role.stderr


# --- sign-up probing ------------------------------------------------------------------------


@pytest.fixture
def strict(both_settings: Settings, redis_15: redis.Redis) -> Iterator[TestClient]:
    both_settings.signup_refusals_per_ip = 4
    app = create_app(both_settings)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    app.state.engine.dispose()


def _signup(client: TestClient, email: str, password: str = PASSWORD) -> int:
    token = form_token(client, "/signup")
    answer = client.post(
        "/signup?lang=en",
        data={"name": "Probe", "email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    if answer.status_code == 429:
        assert int(answer.headers["retry-after"]) > 0 and "Too many sign-up attempts" in answer.text
    status: int = answer.status_code
    return status


def test_refused_sign_ups_from_one_address_are_paused(strict: TestClient) -> None:
    sign_up(browser(strict, "203.0.113.1"), CANONICAL)
    prober = browser(strict, "198.51.100.7")
    # Whatever the refusal says (the address exists, or the form is wrong) it counts alike.
    answers = [
        _signup(prober, CANONICAL),
        _signup(prober, "not-an-address"),
        _signup(prober, LOOK_ALIKES["zero-width space"]),
        _signup(prober, "new@example.org", password="short"),
    ]
    assert answers == [422, 422, 422, 429]
    # Paused now, for addresses that exist and for those that do not.
    assert _signup(prober, "someone@example.org") == 429
    assert _signup(prober, CANONICAL) == 429
    # Another address is not paused by this one's refusals.
    assert _signup(browser(strict, "203.0.113.50"), "bea@example.org") == 303


# --- migration 0003 on old rows -------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0002(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to 0002 only, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    yield engine
    if request.param == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


def test_migration_folds_old_addresses_where_no_two_collide(at_0002: Engine) -> None:
    old = {
        1: "Ada@Example.org",  # folds to ada@example.org
        2: "\uff42\uff45\uff41@example.org",  # full-width: folds to bea@example.org
        3: "carl@example.org",  # already in normal form
        4: "carl\u200b@example.org",  # would collide with 3: left as it is
        5: "Dora@example.org",  # collides with 6: both left as they are
        6: "dora\u2060@example.org",
    }
    with at_0002.begin() as conn:
        for user_id, email in old.items():
            conn.execute(
                text(
                    'INSERT INTO "user" (id, email, name, role, email_verified, is_active,'
                    " created_at) VALUES (:id, :email, 'x', 'participant', false, true, :now)"
                ),
                {"id": user_id, "email": email, "now": "2026-01-01 00:00:00"},
            )
        conn.execute(
            text(
                "INSERT INTO apitoken (id, user_id, name, token_hash, created_at, revoked)"
                " VALUES (1, 1, 'old', 'h', :now, false)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
    cfg = alembic_config(at_0002.url.render_as_string(hide_password=False))
    with at_0002.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with at_0002.connect() as conn:
        emails = dict(conn.execute(text('SELECT id, email FROM "user" ORDER BY id')).all())
        scopes = [row[0] for row in conn.execute(text("SELECT scope FROM apitoken"))]
    assert emails == {
        1: "ada@example.org",
        2: "bea@example.org",
        3: "carl@example.org",
        4: "carl\u200b@example.org",
        5: "Dora@example.org",
        6: "dora\u2060@example.org",
    }
    assert scopes == ["submit"], "tokens from before scopes keep doing what they did"
