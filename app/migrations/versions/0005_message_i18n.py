"""message_i18n: the judging message as an id and parameters, to say it in the reader's language

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("submission", sa.Column("message_i18n", sa.JSON(), nullable=True))
    op.add_column("rescoreitem", sa.Column("message_i18n", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("rescoreitem", "message_i18n")
    op.drop_column("submission", "message_i18n")
