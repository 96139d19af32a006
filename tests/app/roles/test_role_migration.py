"""Events loaded before scoped roles keep their organisers and judges (migration 0007)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.db import alembic_config, make_engine, migrate
from app.roles.models import RoleGrant, Scoped, Source


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
    yield engine
    if request.param == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


def test_the_lists_of_loaded_events_become_grants_bound_to_verified_accounts(
    at_0006: Engine,
) -> None:
    now = "2026-12-01 00:00:00"
    with at_0006.begin() as conn:
        for email, verified in (("orsola@comune.example", True), ("giulia@example.org", False)):
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (email, name, role, email_verified, is_active, '
                    "created_at) VALUES (:e, 'x', 'participant', :v, true, :now)"
                ),
                {"e": email, "v": verified, "now": now},
            )
        config = {"organisers": ["Orsola@Comune.example"], "judges": ["giulia@example.org"]}
        conn.execute(
            sa.text(
                "INSERT INTO event (slug, title, summary, time_zone, config, pages, logos, "
                "registration_opens, registration_closes, starts_at, ends_at, results_at, "
                "sha256, published, results_published, created_at, updated_at) VALUES "
                "('mare', '{}', '{}', 'Europe/Rome', :config, '{}', '{}', :now, :now, :now, "
                ":now, :now, '', true, false, :now, :now)"
            ),
            {"config": json.dumps(config), "now": now},
        )
    migrate(at_0006)
    with Session(at_0006) as session:
        grants = {
            (g.email, g.role, g.source, g.user_id is not None)
            for g in session.exec(select(RoleGrant))
        }
    assert grants == {
        ("orsola@comune.example", Scoped.organiser, Source.event_yaml, True),
        ("giulia@example.org", Scoped.judge, Source.event_yaml, False),  # not verified: unbound
    }
