"""Events as loaded from their event.yaml: the city hackathon that holds challenges.

The whole validated document is kept in `config` (pages render from it), and the
dates a listing sorts or filters by are columns too. A challenge names its event
and track (`challenge.event_id`, `challenge.track`), set when the event is loaded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field, when
from app.core.db import UTCDateTime

# The event every challenge of a database older than events was moved into (migration 0006).
DEFAULT_EVENT_SLUG = "marea"


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    title: dict[str, str] = json_column()
    summary: dict[str, str] = json_column()
    time_zone: str = Field(default="Europe/Rome", max_length=64)
    config: dict[str, Any] = json_column()  # event.yaml as validated (JSON types)
    pages: dict[str, dict[str, str]] = json_column()  # page name → language → Markdown
    logos: dict[str, str] = json_column()  # partner key → sha256 in the store
    registration_opens: datetime = Field(sa_type=UTCDateTime)
    registration_closes: datetime = Field(sa_type=UTCDateTime)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)  # hacking starts
    ends_at: datetime = Field(sa_type=UTCDateTime)  # hacking ends
    results_at: datetime = Field(sa_type=UTCDateTime)
    sha256: str = Field(default="", max_length=64)
    published: bool = False
    results_published: bool = False
    awards: dict[str, int] = json_column()  # a track prize's key (`prize_key`) → the team's id
    created_at: datetime = now_field()
    updated_at: datetime = now_field()


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"  # takes part
    PENDING = "pending"  # waits for an organiser's approval (registration mode `approval`)
    WAITING = "waiting"  # over capacity: in line, by the time of registering
    WITHDRAWN = "withdrawn"  # left the event (may register again)


# Who holds a place: capacity counts them, and a withdrawal frees one for the line.
HOLDS_A_PLACE = (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING)


class Registration(SQLModel, table=True):
    """One person's registration for one event, with what they answered and agreed to.

    `consents` keeps, per consent key, the version of the text accepted and when, so an
    organiser can show which wording each person agreed to after the text changes.
    """

    __table_args__ = (UniqueConstraint("event_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    status: str = Field(max_length=16)
    answers: dict[str, Any] = json_column()  # question key → text or option key(s)
    consents: dict[str, dict[str, str]] = json_column()  # key → {version, at}
    looking_for_team: bool = False
    pitch: str = Field(default="", max_length=500)  # a line for the teammates board
    checked_in_at: datetime | None = when()
    created_at: datetime = now_field()
    updated_at: datetime = now_field()
