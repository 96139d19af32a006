"""The audit log: every organiser and judge action, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = now_field()
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    challenge_id: int | None = Field(default=None, foreign_key="challenge.id", index=True)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=255)
    detail: dict[str, Any] = json_column()
