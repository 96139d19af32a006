"""server-side sessions, API token scopes, one spelling per email address

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000

- `usersession`: one row per browser login (app/accounts/sessions.py), so a session can
  be ended; cookies made before this migration carry no session secret, so everyone is
  logged out once by the upgrade.
- `apitoken.scope`: tokens made before scopes existed could do everything their owner
  could through the API, so they all become `submit` (their behaviour does not change);
  new tokens get the scope chosen when they are made.
- `user.email`: stored addresses are put in the form app.accounts.service.normalise_email
  gives (NFKC, no format characters such as zero-width spaces, trimmed, lower case), the
  form every lookup now uses. Where two accounts would end up with the same address
  (look-alikes made before this fix), *neither* of the colliding rows that is not already
  in normal form is changed: the unique index forbids merging them, and which account the
  owner really uses is for an operator to decide. They are logged as a warning; such an
  account cannot log in with a password until an operator gives it a distinct address.
  The downgrade keeps the normalised addresses (the old spellings are not recorded).
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def _normalise_email(email: str) -> str:
    """normalise_email as of this migration, frozen here so that later changes to the
    app's function cannot change what this migration did."""

    def visible(text: str) -> str:
        return "".join(c for c in text if unicodedata.category(c) != "Cf")

    folded = unicodedata.normalize("NFKC", visible(email)).strip().lower()
    return visible(unicodedata.normalize("NFKC", folded))


def upgrade() -> None:
    op.create_table(
        "usersession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("usersession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usersession_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=16), nullable=True))
    apitoken = sa.table("apitoken", sa.column("scope", sa.String))
    op.execute(apitoken.update().values(scope="submit"))
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.alter_column("scope", existing_type=sa.String(length=16), nullable=False)

    _normalise_stored_emails()


def _normalise_stored_emails() -> None:
    bind = op.get_bind()
    users = sa.table("user", sa.column("id", sa.Integer), sa.column("email", sa.String))
    rows = [(int(i), str(e)) for i, e in bind.execute(sa.select(users.c.id, users.c.email))]
    wanted: dict[str, list[int]] = {}
    for user_id, email in rows:
        wanted.setdefault(_normalise_email(email), []).append(user_id)
    for user_id, email in rows:
        target = _normalise_email(email)
        if target == email:
            continue
        if len(wanted[target]) > 1:
            others = [i for i in wanted[target] if i != user_id]
            log.warning(
                "user %d: email %r is left as it is: its normal form %r is also that of "
                "user(s) %s; give one of them another address",
                user_id,
                email,
                target,
                others,
            )
            continue
        bind.execute(users.update().where(users.c.id == user_id).values(email=target))


def downgrade() -> None:
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_column("scope")
    with op.batch_alter_table("usersession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usersession_user_id"))
    op.drop_table("usersession")
