"""A person's choices of the mails they want, and the notifications already sent.

Only a choice that differs from the default is a row: a new kind of notification needs no
migration, and a person who never opened the page gets the defaults of the day.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import now_field


class Notice(StrEnum):
    """A kind of notification a person may turn on or off (one List-Unsubscribe each)."""

    submission_result = "submission_result"  # a submission of yours was scored or failed
    phase_reminder = "phase_reminder"  # a phase of a challenge you entered opens or closes soon
    registration = "registration"  # your registration to an event was approved
    results = "results"  # the results of a challenge or event you took part in are out
    announcement = "announcement"  # the organisers posted an announcement to you
    question = "question"  # your team's question was answered


# Mail that could become too much is opt-in; what a participant must not miss is on.
DEFAULTS: dict[Notice, bool] = {
    Notice.submission_result: False,
    Notice.phase_reminder: True,
    Notice.registration: True,
    Notice.results: True,
    Notice.announcement: True,
    Notice.question: True,
}


class NotificationChoice(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notificationchoice"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: Notice = Field(sa_type=String(32))
    enabled: bool
    updated_at: datetime = now_field()


class NoticeSent(SQLModel, table=True):
    """A notification that goes out once (a phase opening, results out): its key is taken
    in the same transaction as its mails, so two sweepers never send it twice."""

    key: str = Field(primary_key=True, max_length=120)
    sent_at: datetime = now_field()
