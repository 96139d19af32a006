"""Migration 0013 adds the project tables and takes them away again, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.app.questions.test_question_migration import _to, bare

__all__ = ["bare"]

TABLES = {"project", "projectversion", "projectgallery"}


def test_projects_come_with_0013_and_go_with_it(bare: Engine) -> None:
    _to(bare, "0012")
    assert not TABLES & set(sa.inspect(bare).get_table_names())
    _to(bare, "0013")
    inspector = sa.inspect(bare)
    assert set(inspector.get_table_names()) >= TABLES
    indexed = {i["name"] for i in inspector.get_indexes("project")}
    assert {"ix_project_challenge_id", "ix_project_team_id"} <= indexed
    _to(bare, "0012", down=True)
    assert not TABLES & set(sa.inspect(bare).get_table_names())
