"""A team's project in a project phase, every version it saved, and the gallery's publication.

A project is one row per team and challenge; what the team writes lives in its versions,
never edited in place: judges review the last version saved before the phase's end, and a
later question ("what did they hand in at the deadline?") must have the same answer as on
the day. The gallery's state is a row of its own so that publishing it does not touch the
challenge, whose row the bundle loader owns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field, when

TITLE_MAX = 120
SUMMARY_MAX = 200
DESCRIPTION_MAX = 20000
TAGS_MAX = 20
TAG_MAX = 40
LINK_MAX = 500


class Project(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("challenge_id", "team_id", name="uq_project_team"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    # The captain keeps the project out of the public gallery; it is still judged.
    gallery_opt_out: bool = False
    created_at: datetime = now_field()


class ProjectVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_projectversion_number"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    title: str = Field(max_length=TITLE_MAX)
    summary: str = Field(max_length=SUMMARY_MAX)
    description: str = Field(default="", sa_type=Text)
    links: dict[str, str] = json_column()
    licence: str = Field(max_length=64)
    built_with: list[str] = json_column(list)
    credited: list[int] = json_column(list)
    # Each: {"name", "sha256", "size", "type"}; `type` is what the content proved (pdf, png, ...).
    files: list[dict[str, Any]] = json_column(list)
    author_id: int = Field(foreign_key="user.id")
    created_at: datetime = now_field()


class ProjectGallery(SQLModel, table=True):
    """Whether the organisers published a challenge's gallery (bundle `gallery: published`)."""

    challenge_id: int = Field(foreign_key="challenge.id", primary_key=True)
    published_at: datetime | None = when()
    published_by: int | None = Field(default=None, foreign_key="user.id")
