"""Who reviews which team's project in a project track, and what judges declare about themselves.

Everything is keyed by (challenge, team), like the jury's `Review`: a team has at most one
project per challenge, so the team names the project, and an assignment stays meaningful
across the project's versions (the one judged is chosen at review time, not here).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import now_field

AFFILIATION_MAX = 200
REASON_MAX = 500


class AssignmentSource(StrEnum):
    auto = "auto"  # the balanced assignment chose it
    manual = "manual"  # an organiser added it by hand


class ReviewAssignment(SQLModel, table=True):
    """One judge is to review one team's project (k of these per team, ideally)."""

    __table_args__ = (
        UniqueConstraint("challenge_id", "team_id", "judge_id", name="uq_reviewassignment"),
    )
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    team_id: int = Field(foreign_key="team.id")
    judge_id: int = Field(foreign_key="user.id")
    source: AssignmentSource = Field(sa_type=String(16))
    created_at: datetime = now_field()


class ConflictDeclaration(SQLModel, table=True):
    """A judge says they may not review a team (a friend, a colleague, a former student)."""

    __table_args__ = (
        UniqueConstraint("challenge_id", "judge_id", "team_id", name="uq_conflictdeclaration"),
    )
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    judge_id: int = Field(foreign_key="user.id")
    team_id: int = Field(foreign_key="team.id")
    reason: str = Field(default="", max_length=REASON_MAX)
    created_at: datetime = now_field()


class JudgeProfile(SQLModel, table=True):
    """A judge's affiliation for one challenge: accounts carry none, and a person may judge
    for one organisation at one event and another elsewhere."""

    __table_args__ = (UniqueConstraint("challenge_id", "judge_id", name="uq_judgeprofile"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    judge_id: int = Field(foreign_key="user.id")
    affiliation: str = Field(default="", max_length=AFFILIATION_MAX)
    created_at: datetime = now_field()
