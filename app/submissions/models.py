"""Submissions, every change of their state, and the scores they earned."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field, optional_json, when


class Status(StrEnum):
    queued = "queued"
    running = "running"
    scored = "scored"
    failed = "failed"
    cancelled = "cancelled"


FINAL_STATUSES = frozenset({Status.scored, Status.failed, Status.cancelled})


class Submission(SQLModel, table=True):
    __table_args__ = (
        Index("ix_submission_team_phase_created", "team_id", "phase_id", "created_at"),
        Index("ix_submission_status", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    phase_id: int = Field(foreign_key="phase.id", index=True)
    team_id: int = Field(foreign_key="team.id")
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=16)
    file_sha256: str = Field(max_length=64)
    filename: str = Field(max_length=255)
    size: int
    description: str = Field(default="", max_length=2000)
    link: str | None = Field(default=None, max_length=500)
    status: Status = Field(default=Status.queued, sa_type=String(16))
    failure: str | None = Field(default=None, max_length=32)
    message: str = Field(default="", max_length=4000)
    # The same message as judging.messages stores it (id and parameters), to be said in the
    # reader's language; None for rows judged before it existed and for the app's own messages.
    message_i18n: dict[str, Any] | None = optional_json()
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=120)
    job_id: str | None = Field(default=None, max_length=64)
    logs_sha256: str | None = Field(default=None, max_length=64)
    duration_s: float | None = None
    provenance: dict[str, Any] = json_column()
    selected_final: bool = False
    created_at: datetime = now_field()
    started_at: datetime | None = when()
    heartbeat_at: datetime | None = when()
    finished_at: datetime | None = when()


class SubmissionEvent(SQLModel, table=True):
    """The status history of a submission: one row per transition, never updated."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    status: str = Field(max_length=16)
    at: datetime = now_field()
    detail: str = Field(default="", max_length=2000)


class Score(SQLModel, table=True):
    """One number for one leaderboard column on one split.

    Rescoring adds rows with a higher `version` and marks the old ones not
    current, so history is kept and a board can be compared before it changes.
    """

    __table_args__ = (UniqueConstraint("submission_id", "version", "split", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    version: int = 1
    current: bool = True
    split: str = Field(max_length=16)
    key: str = Field(max_length=64)
    value: float
    # Set when a rescore set wrote this version; its item holds the provenance of the run.
    rescore_item_id: int | None = Field(default=None, foreign_key="rescoreitem.id")
    created_at: datetime = now_field()


class LogExcerpt(SQLModel, table=True):
    """An organiser's approval of what a team may read of a run's log (policy `excerpt`).

    `text` is exactly what the organiser saw and approved, cut from the logs stored under
    `logs_sha256`; it is shown only while the submission still has those logs, so a later
    run's output never slips out under an earlier approval.
    """

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", unique=True)
    logs_sha256: str = Field(max_length=64)
    text: str = Field(sa_type=Text)
    excerpt_bytes: int
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime = now_field()
