"""A question a participant asked about a challenge, and the organisers' answer.

A question belongs to the asker's team (its mates see it) or, for someone without a team,
to the asker alone. It is private until an organiser publishes it: then everyone reads it,
in the wording the organiser chose (`public_text`, which may leave out a team's details),
while the asker and the audit keep the original (`text`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from app.core.columns import now_field, when

TEXT_MAX = 2000
ANSWER_MAX = 5000


class QuestionState(StrEnum):
    open = "open"  # waiting for the organisers
    answered = "answered"  # answered privately: only the asking team sees the answer
    published = "published"  # question (as worded by the organiser) and answer for everyone
    dismissed = "dismissed"  # closed without an answer


class Question(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    phase_id: int | None = Field(default=None, foreign_key="phase.id")
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    asked_by: int = Field(foreign_key="user.id", index=True)
    text: str = Field(sa_type=Text)
    public_text: str | None = Field(default=None, sa_type=Text)
    answer: str | None = Field(default=None, sa_type=Text)
    state: QuestionState = Field(default=QuestionState.open, sa_type=String(16))
    answered_by: int | None = Field(default=None, foreign_key="user.id")
    answered_at: datetime | None = when()
    answer_updated_at: datetime | None = when()
    published_at: datetime | None = when()
    created_at: datetime = now_field()
