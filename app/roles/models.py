"""A role given to a person over one event or one challenge.

A grant names an e-mail address, so an organiser can list people in event.yaml (or an admin
invite them) before they have an account. It is bound to an account (`user_id`) when an
admin gives it to an existing account, or when the address is verified: an address typed in
event.yaml proves nothing about who signs up with it, so an unverified account never picks a
grant up by its address alone.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.columns import now_field


class Scoped(StrEnum):
    """What a grant lets its holder do, over the event or challenge it names."""

    organiser = "organiser"  # an event: the event and all its challenges
    owner = "owner"  # a challenge: that challenge only (pages, data, phases, rescoring...)
    judge = "judge"  # an event (all its challenges with a rubric) or one challenge


class Source(StrEnum):
    """Where a grant came from: a file's list is replaced when the file is loaded again."""

    event_yaml = "event.yaml"
    challenge_yaml = "challenge.yaml"
    web = "web"  # an admin's or organiser's invitation on the site
    upload = "upload"  # the person who first uploaded a challenge on the site


class RoleGrant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, max_length=320)  # normalised as accounts store it
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    role: Scoped = Field(sa_type=String(16))
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    challenge_id: int | None = Field(default=None, foreign_key="challenge.id", index=True)
    source: Source = Field(sa_type=String(16))
    granted_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = now_field()
