"""People and how they prove who they are."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import now_field, when


class Role(StrEnum):
    """A user's platform-wide role; each includes the powers of the ones before it."""

    participant = "participant"
    judge = "judge"
    organiser = "organiser"
    admin = "admin"


class TokenScope(StrEnum):
    """What an API token may do; each scope includes the powers of the ones before it.

    `read` reads what its owner may read; `submit` also changes things in the owner's
    name through the API (submissions, the final choice, team actions).
    """

    read = "read"
    submit = "submit"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    role: Role = Field(default=Role.participant, sa_type=String(20))
    email_verified: bool = False
    is_active: bool = True
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = now_field()
    last_login_at: datetime | None = when()


class OidcIdentity(SQLModel, table=True):
    """A login at an OpenID Connect provider linked to a user."""

    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    created_at: datetime = now_field()


class ApiToken(SQLModel, table=True):
    """A personal API token; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(unique=True, max_length=128)
    # Chosen when the token is made; tokens from before scopes existed became `submit`.
    scope: TokenScope = Field(default=TokenScope.read, sa_type=String(16))
    created_at: datetime = now_field()
    last_used_at: datetime | None = when()
    revoked: bool = False


class UserSession(SQLModel, table=True):
    """A browser login, so that it can be ended from the server (see app/accounts/sessions.py).

    The cookie carries a random secret; only its SHA-256 is kept here, so a copy of the
    database does not let anyone into an account.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    secret_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = now_field()
    # Written at most once per sessions.LAST_SEEN_RESOLUTION, so reading pages stays a read.
    last_seen_at: datetime = now_field()
    expires_at: datetime = when(nullable=False)
    ended_at: datetime | None = when()
    end_reason: str | None = Field(default=None, max_length=20)
    user_agent: str = Field(default="", max_length=400)
