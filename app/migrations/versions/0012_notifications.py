"""notifications: the mails each person wants, notifications sent once, List-Unsubscribe

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notificationchoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", name="uq_notificationchoice"),
    )
    with op.batch_alter_table("notificationchoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notificationchoice_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "noticesent",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.add_column(
        "outbox",
        sa.Column(
            "unsubscribe_url",
            sqlmodel.sql.sqltypes.AutoString(length=600),
            nullable=False,
            server_default="",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("unsubscribe_url")
    op.drop_table("noticesent")
    with op.batch_alter_table("notificationchoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notificationchoice_user_id"))
    op.drop_table("notificationchoice")
