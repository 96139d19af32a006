"""Challenges as loaded from their bundles: phases and the files they name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field, optional_json, when
from app.core.db import UTCDateTime


class Challenge(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    title: dict[str, str] = json_column()
    summary: dict[str, str] = json_column()
    theme: str = Field(max_length=32)
    tags: list[str] = json_column(list)
    pages: dict[str, dict[str, str]] = json_column()
    config: dict[str, Any] = json_column()
    bundle_sha256: str = Field(max_length=64)
    version: int = 1
    published: bool = False
    frozen_at: datetime | None = when()
    private_revealed: bool = False
    # Set by loading the event that lists this challenge (app/events/load.py), never by its bundle.
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    track: str | None = Field(default=None, max_length=64)
    created_at: datetime = now_field()
    updated_at: datetime = now_field()


class Phase(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    name: str = Field(max_length=64)
    position: int = 0
    title: dict[str, str] = json_column()
    kind: str = Field(max_length=16)
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    max_per_day: int | None = None
    max_total: int | None = None
    max_concurrent: int | None = None
    code: dict[str, Any] | None = optional_json()
    runner_image: str | None = Field(default=None, max_length=255)
    # The compute pool whose workers judge this phase (the bundle's `compute.pool`).
    pool: str = Field(
        default="default", max_length=40, sa_column_kwargs={"server_default": "default"}
    )


class DataFile(SQLModel, table=True):
    """A file of a bundle; `role` says who may see it (public, reference, input, ...)."""

    __table_args__ = (UniqueConstraint("challenge_id", "role", "path"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    role: str = Field(max_length=16)
    path: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    size: int
    description: dict[str, str] = json_column()
