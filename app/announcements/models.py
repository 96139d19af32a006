"""An organiser's announcement to an event, one track of it, or one challenge.

Where it is posted is `event_id`, `track` and `challenge_id`: a challenge's announcement names
the challenge (and its event, if any); a track's names the event and the track's slug; an
event's names the event only. Who may read it is `audience`; mailing it is a separate
choice made when it is posted (`mailed_at` says it was). Title and body are kept per language
(`{"it": ..., "en": ...}`), and readers get theirs, else the other one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field, when


class Audience(StrEnum):
    """Who reads an announcement (its managers always do), and who is mailed when asked."""

    everyone = "everyone"  # anyone on the pages; mailed to the registered and the teams
    registered = "registered"  # people registered for the event
    teams = "teams"  # members of the teams of the challenge (or of the track's, the event's)
    not_submitted = "not_submitted"  # members of those teams that have not submitted yet
    judges = "judges"  # judges of the challenge (or of the event)


class Announcement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    track: str | None = Field(default=None, max_length=64)
    challenge_id: int | None = Field(default=None, foreign_key="challenge.id", index=True)
    audience: Audience = Field(default=Audience.everyone, sa_type=String(16))
    title: dict[str, str] = json_column()  # language → plain text
    body: dict[str, str] = json_column()  # language → Markdown
    pinned: bool = False
    author_id: int | None = Field(default=None, foreign_key="user.id")
    mailed_at: datetime | None = when()
    created_at: datetime = now_field()
    updated_at: datetime = now_field()
