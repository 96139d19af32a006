"""A database from before events keeps its challenges: they move into one default event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.challenges.models import Challenge
from app.core.db import alembic_config, make_engine, migrate
from app.events.models import DEFAULT_EVENT_SLUG, Event


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at migration 0005, the last one before events."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    yield engine
    if request.param == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


def _insert_challenge(conn: sa.Connection, slug: str, start: str, end: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO challenge (slug, title, summary, theme, tags, pages, config, "
            "bundle_sha256, version, published, private_revealed, created_at, updated_at) "
            "VALUES (:slug, '{}', '{}', 'sea', '[]', '{}', '{}', '', 1, true, false, "
            ":start, :start)"
        ),
        {"slug": slug, "start": start},
    )
    cid = conn.execute(sa.text("SELECT id FROM challenge WHERE slug = :s"), {"s": slug}).scalar()
    conn.execute(
        sa.text(
            'INSERT INTO phase (challenge_id, name, position, title, kind, start, "end") '
            "VALUES (:cid, 'dev', 0, '{}', 'predictions', :start, :end)"
        ),
        {"cid": cid, "start": start, "end": end},
    )


def test_existing_challenges_join_a_default_event_spanning_their_phases(
    old_database: Engine,
) -> None:
    with old_database.begin() as conn:
        _insert_challenge(conn, "first", "2026-11-01 00:00:00", "2027-01-01 00:00:00")
        _insert_challenge(conn, "second", "2026-12-01 00:00:00", "2027-03-15 00:00:00")
    migrate(old_database)
    with Session(old_database) as session:
        event = session.exec(select(Event)).one()
        challenges = session.exec(select(Challenge)).all()
    assert event.slug == DEFAULT_EVENT_SLUG and event.published
    assert event.title == {"it": "Le sfide", "en": "The challenges"}
    assert (event.starts_at.isoformat(), event.ends_at.isoformat()) == (
        "2026-11-01T00:00:00+00:00",
        "2027-03-15T00:00:00+00:00",
    )
    assert {c.slug: c.event_id for c in challenges} == {"first": event.id, "second": event.id}
    assert all(c.track is None for c in challenges)


def test_an_empty_database_gets_no_default_event(old_database: Engine) -> None:
    migrate(old_database)
    with Session(old_database) as session:
        assert session.exec(select(Event)).all() == []
