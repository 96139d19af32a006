"""The outbox: every mail the site sends, from the moment it is asked for until it is sent.

A mail is a row before it is anything else: the request that asks for it writes the row
in its own transaction, and a queue job sends it later (never inside the request). The
row is the truth about the mail: Redis may lose a job, a worker may die, the SMTP server
may refuse; the sweeper hands out again whatever is due, and administrators read every
row, with its attempts and last error, at /admin/outbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from app.core.columns import now_field, when


class MailStatus(StrEnum):
    queued = "queued"  # waiting for its next attempt (next_attempt_at)
    sending = "sending"  # a worker holds it (claimed_at)
    sent = "sent"  # the SMTP server accepted it
    failed = "failed"  # every attempt failed: an administrator may send it again
    held = "held"  # no SMTP server is configured: kept here and written to the worker's log


class MailKind(StrEnum):
    """What a mail is for; also the name of its templates in app/mail/templates/."""

    password_reset = "password_reset"
    verify_email = "verify_email"
    password_changed = "password_changed"
    role_invitation = "role_invitation"
    team_invitation = "team_invitation"
    registration_approved = "registration_approved"
    results_published = "results_published"
    event_results = "event_results"
    submission_result = "submission_result"
    phase_reminder = "phase_reminder"
    announcement = "announcement"
    question_answered = "question_answered"


class OutboxMail(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320)
    # Who the mail is about, when it is about an account (None for an address alone).
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    kind: str = Field(max_length=32)
    language: str = Field(max_length=8)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=Text)
    body_html: str = Field(sa_type=Text)
    # A notification's one-click way out of its kind (List-Unsubscribe); empty for account mail.
    unsubscribe_url: str = Field(default="", max_length=600)
    status: MailStatus = Field(default=MailStatus.queued, sa_type=String(16))
    attempts: int = 0
    max_attempts: int = 5
    last_error: str = Field(default="", sa_type=Text)
    next_attempt_at: datetime = now_field()
    claimed_at: datetime | None = when()
    sent_at: datetime | None = when()
    created_at: datetime = now_field()
    updated_at: datetime = now_field()
