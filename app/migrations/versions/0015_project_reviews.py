"""project reviews: who reviews which team's project, judges' conflicts and affiliations

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07 23:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviewassignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["judge_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "team_id", "judge_id", name="uq_reviewassignment"),
    )
    with op.batch_alter_table("reviewassignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviewassignment_challenge_id"), ["challenge_id"], unique=False
        )
    op.create_table(
        "conflictdeclaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["judge_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "judge_id", "team_id", name="uq_conflictdeclaration"),
    )
    with op.batch_alter_table("conflictdeclaration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflictdeclaration_challenge_id"), ["challenge_id"], unique=False
        )
    op.create_table(
        "judgeprofile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("affiliation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["judge_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "judge_id", name="uq_judgeprofile"),
    )
    with op.batch_alter_table("judgeprofile", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_judgeprofile_challenge_id"), ["challenge_id"], unique=False
        )


def downgrade() -> None:
    for table in ("judgeprofile", "conflictdeclaration", "reviewassignment"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_challenge_id"))
        op.drop_table(table)
