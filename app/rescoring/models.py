"""A rescore set and its items: proposed scores kept apart from the board until applied.

New scores wait in the items, not in the Score table, so nothing a participant
sees changes until an organiser has compared them with the old ones and
applied the set. Applying writes them as a new Score version; the old rows stay
as history with `current = False`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field, optional_json, when


class SetStatus(StrEnum):
    judging = "judging"  # items still waiting or running
    ready = "ready"  # every item judged: waiting for an organiser's decision
    applied = "applied"
    discarded = "discarded"


OPEN_SET_STATUSES = frozenset({SetStatus.judging, SetStatus.ready})


class ItemStatus(StrEnum):
    queued = "queued"
    running = "running"
    scored = "scored"
    failed = "failed"
    skipped = "skipped"  # the set was discarded before this item was judged


FINAL_ITEM_STATUSES = frozenset({ItemStatus.scored, ItemStatus.failed, ItemStatus.skipped})


class RescoreSet(SQLModel, table=True):
    __table_args__ = (Index("ix_rescoreset_phase_status", "phase_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    phase_id: int = Field(foreign_key="phase.id")
    scope: str = Field(max_length=16)  # "phase" or "submission"
    reason: str = Field(default="", max_length=2000)
    bundle_version: int  # the challenge version whose scoring judged the items
    status: SetStatus = Field(default=SetStatus.judging, sa_type=String(16))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = now_field()
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = when()


class RescoreItem(SQLModel, table=True):
    """One submission judged again; `old_scores` is a snapshot for the review."""

    __table_args__ = (
        UniqueConstraint("set_id", "submission_id"),
        Index("ix_rescoreitem_status", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    set_id: int = Field(foreign_key="rescoreset.id", index=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    status: ItemStatus = Field(default=ItemStatus.queued, sa_type=String(16))
    old_status: str = Field(max_length=16)
    old_scores: dict[str, dict[str, float]] = json_column()
    new_scores: dict[str, dict[str, float]] = json_column()
    failure: str | None = Field(default=None, max_length=32)
    message: str = Field(default="", max_length=4000)
    message_i18n: dict[str, Any] | None = optional_json()  # as Submission.message_i18n
    logs_sha256: str | None = Field(default=None, max_length=64)
    provenance: dict[str, Any] = json_column()
    attempts: int = 0
    job_id: str | None = Field(default=None, max_length=64)
    worker: str | None = Field(default=None, max_length=120)
    started_at: datetime | None = when()
    heartbeat_at: datetime | None = when()
    finished_at: datetime | None = when()
