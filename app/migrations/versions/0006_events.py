"""events: the city hackathon that holds challenges; existing challenges move into a default event

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 05:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_SLUG = "marea"  # app.events.models.DEFAULT_EVENT_SLUG, frozen here as migrations are


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("logos", sa.JSON(), nullable=False),
        sa.Column("registration_opens", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registration_closes", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("results_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("results_published", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_slug"), ["slug"], unique=True)
        batch_op.create_index(batch_op.f("ix_event_starts_at"), ["starts_at"], unique=False)
    # Not a batch: SQLite would rebuild `challenge`, and dropping the old table fails while
    # phases (foreign keys on) point at it; SQLite's own ADD COLUMN takes a REFERENCES clause.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE challenge ADD COLUMN event_id INTEGER REFERENCES event (id)")
    else:
        op.add_column("challenge", sa.Column("event_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_challenge_event_id_event", "challenge", "event", ["event_id"], ["id"]
        )
    op.add_column(
        "challenge", sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.create_index(op.f("ix_challenge_event_id"), "challenge", ["event_id"], unique=False)
    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("looking_for_team", sa.Boolean(), nullable=False),
        sa.Column("pitch", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("checked_in_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "user_id"),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registration_user_id"), ["user_id"], unique=False)
    _default_event()


def _default_event() -> None:
    """Challenges of a database older than events join one event spanning their phases."""
    bind = op.get_bind()
    challenges = bind.execute(sa.text("SELECT count(*) FROM challenge")).scalar_one()
    if not challenges:
        return
    first, last = bind.execute(sa.text('SELECT min(start), max("end") FROM phase')).one()
    now = datetime.now(UTC)
    first = _aware(first) or now
    last = _aware(last) or first + timedelta(days=1)
    event = sa.table(
        "event",
        *(
            sa.column(name)
            for name in (
                "slug",
                "title",
                "summary",
                "time_zone",
                "config",
                "pages",
                "logos",
                "registration_opens",
                "registration_closes",
                "starts_at",
                "ends_at",
                "results_at",
                "sha256",
                "published",
                "results_published",
                "created_at",
                "updated_at",
            )
        ),
    )
    title = {"it": "Le sfide", "en": "The challenges"}
    op.execute(
        event.insert().values(
            slug=DEFAULT_SLUG,
            title=sa.literal(title, sa.JSON()),
            summary=sa.literal(
                {
                    "it": "Le sfide di questo sito, da prima che avesse eventi.",
                    "en": "This site's challenges, from before it had events.",
                },
                sa.JSON(),
            ),
            time_zone="Europe/Rome",
            config=sa.literal({}, sa.JSON()),
            pages=sa.literal({}, sa.JSON()),
            logos=sa.literal({}, sa.JSON()),
            registration_opens=sa.literal(first, app.core.db.UTCDateTime(timezone=True)),
            registration_closes=sa.literal(last, app.core.db.UTCDateTime(timezone=True)),
            starts_at=sa.literal(first, app.core.db.UTCDateTime(timezone=True)),
            ends_at=sa.literal(last, app.core.db.UTCDateTime(timezone=True)),
            results_at=sa.literal(last, app.core.db.UTCDateTime(timezone=True)),
            sha256="",
            published=True,
            results_published=False,
            created_at=sa.literal(now, app.core.db.UTCDateTime(timezone=True)),
            updated_at=sa.literal(now, app.core.db.UTCDateTime(timezone=True)),
        )
    )
    op.execute(
        sa.text(
            "UPDATE challenge SET event_id = (SELECT id FROM event WHERE slug = :slug)"
        ).bindparams(slug=DEFAULT_SLUG)
    )


def _aware(value: object) -> datetime | None:
    """SQLite hands back text or naive datetimes; the columns hold UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_table("registration")
    op.drop_index(op.f("ix_challenge_event_id"), table_name="challenge")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_challenge_event_id_event", "challenge", type_="foreignkey")
    op.drop_column("challenge", "track")
    op.drop_column("challenge", "event_id")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_starts_at"))
        batch_op.drop_index(batch_op.f("ix_event_slug"))
    op.drop_table("event")
