"""The leaderboard kept incrementally: one row per team, phase and split."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_field


class LeaderboardEntry(SQLModel, table=True):
    """A team's standing, updated when one of its scores lands, never recomputed per request."""

    __table_args__ = (
        UniqueConstraint("phase_id", "team_id", "split"),
        Index("ix_leaderboard_phase_split_rank", "phase_id", "split", "rank_value"),
    )
    id: int | None = Field(default=None, primary_key=True)
    phase_id: int = Field(foreign_key="phase.id")
    team_id: int = Field(foreign_key="team.id")
    split: str = Field(max_length=16)
    submission_id: int = Field(foreign_key="submission.id")
    rank_value: float
    values: dict[str, float] = json_column()
    submitted_at: datetime = now_field()
    updated_at: datetime = now_field()
