"""Human judging: who judges which challenge, and their rubric ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field


class JudgeAssignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = now_field()


class Review(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("challenge_id", "team_id", "judge_id"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    team_id: int = Field(foreign_key="team.id")
    judge_id: int = Field(foreign_key="user.id")
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    ratings: dict[str, float] = json_column()
    comment: str = Field(default="", max_length=10000)
    created_at: datetime = now_field()
    updated_at: datetime = now_field()
