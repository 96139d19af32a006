"""projects: teams' projects of a project phase, their versions, the gallery's publication

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("gallery_opt_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "team_id", name="uq_project_team"),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_challenge_id"), ["challenge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_team_id"), ["team_id"], unique=False)
    op.create_table(
        "projectversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("licence", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("built_with", sa.JSON(), nullable=False),
        sa.Column("credited", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number", name="uq_projectversion_number"),
    )
    with op.batch_alter_table("projectversion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projectversion_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "projectgallery",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("published_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["published_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("challenge_id"),
    )


def downgrade() -> None:
    op.drop_table("projectgallery")
    with op.batch_alter_table("projectversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projectversion_project_id"))
    op.drop_table("projectversion")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_team_id"))
        batch_op.drop_index(batch_op.f("ix_project_challenge_id"))
    op.drop_table("project")
