"""Teams are per challenge; a user is in at most one team of a challenge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import now_field


class Team(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    name: str = Field(max_length=80)
    captain_id: int = Field(foreign_key="user.id")
    invite_code: str = Field(unique=True, max_length=32)
    approved: bool = True
    disqualified_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = now_field()


class Membership(SQLModel, table=True):
    """`challenge_id` is repeated here so the database itself enforces one team per challenge."""

    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    challenge_id: int = Field(foreign_key="challenge.id")
    joined_at: datetime = now_field()
