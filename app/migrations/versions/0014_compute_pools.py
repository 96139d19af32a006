"""compute pools: the pool whose workers judge each phase

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pool",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="default",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.drop_column("pool")
