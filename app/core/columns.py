"""Column helpers shared by the models, so every table spells time and JSON the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from app.core.db import UTCDateTime, utcnow


def now_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def when(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


def json_column(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


def optional_json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


__all__ = ["datetime", "json_column", "now_field", "optional_json", "when"]
