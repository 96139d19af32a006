"""role grants: organisers, owners and judges scoped to an event or a challenge

Events loaded before this revision listed their organisers and judges in event.yaml only;
their lists become grants here (bound to the accounts of those addresses that exist), so an
event that was scoped stays scoped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00.000000
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rolegrant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("challenge_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["granted_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rolegrant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rolegrant_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_rolegrant_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rolegrant_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rolegrant_challenge_id"), ["challenge_id"], unique=False
        )
    _from_event_files()


def _from_event_files() -> None:
    bind = op.get_bind()
    grants = sa.table(
        "rolegrant",
        *(
            sa.column(name)
            for name in ("email", "user_id", "role", "event_id", "source", "created_at")
        ),
    )
    now = datetime.now(UTC)
    for event_id, raw in bind.execute(sa.text("SELECT id, config FROM event")).all():
        config = json.loads(raw) if isinstance(raw, str) else (raw or {})
        for role, key in (("organiser", "organisers"), ("judge", "judges")):
            for email in sorted({str(e).strip().lower() for e in config.get(key, [])}):
                user_id = bind.execute(
                    sa.text('SELECT id FROM "user" WHERE email = :e AND email_verified'),
                    {"e": email},
                ).scalar()
                op.execute(
                    grants.insert().values(
                        email=email,
                        user_id=user_id,
                        role=role,
                        event_id=event_id,
                        source="event.yaml",
                        created_at=sa.literal(now, app.core.db.UTCDateTime(timezone=True)),
                    )
                )


def downgrade() -> None:
    with op.batch_alter_table("rolegrant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rolegrant_challenge_id"))
        batch_op.drop_index(batch_op.f("ix_rolegrant_event_id"))
        batch_op.drop_index(batch_op.f("ix_rolegrant_user_id"))
        batch_op.drop_index(batch_op.f("ix_rolegrant_email"))
    op.drop_table("rolegrant")
