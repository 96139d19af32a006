"""project votes: people's choice votes for a project track's teams, and their reveal

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("voided_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["voided_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "team_id", "voter_id", name="uq_vote"),
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_challenge_id"), ["challenge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_voter_id"), ["voter_id"], unique=False)
    op.create_table(
        "votereveal",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("revealed_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revealed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["revealed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("challenge_id"),
    )


def downgrade() -> None:
    op.drop_table("votereveal")
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_voter_id"))
        batch_op.drop_index(batch_op.f("ix_vote_team_id"))
        batch_op.drop_index(batch_op.f("ix_vote_challenge_id"))
    op.drop_table("vote")
