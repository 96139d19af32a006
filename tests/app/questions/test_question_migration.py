"""Migration 0011 adds the question table and takes it away again, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from app.core.db import alembic_config, make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def bare(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    if request.param == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_questions_come_with_0011_and_go_with_it(bare: Engine) -> None:
    _to(bare, "0009")
    assert "question" not in sa.inspect(bare).get_table_names()
    _to(bare, "0011")
    inspector = sa.inspect(bare)
    assert "question" in inspector.get_table_names()
    indexed = {i["name"] for i in inspector.get_indexes("question")}
    assert {"ix_question_challenge_id", "ix_question_team_id"} <= indexed
    _to(bare, "0009", down=True)
    assert "question" not in sa.inspect(bare).get_table_names()
