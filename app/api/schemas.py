"""Response models of the JSON API: what clients may rely on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    status: int
    message: str


class ErrorBody(BaseModel):
    """Every API error has this body, whatever went wrong."""

    error: ErrorDetail


class PhaseOut(BaseModel):
    name: str
    title: dict[str, str]
    kind: str
    start: datetime
    end: datetime
    state: str
    max_per_day: int | None
    max_total: int | None
    max_concurrent: int | None


class ChallengeOut(BaseModel):
    slug: str
    title: dict[str, str]
    summary: dict[str, str]
    theme: str
    tags: list[str]
    url: str


class ChallengeDetailOut(ChallengeOut):
    phases: list[PhaseOut]
    licence: str
    private_revealed: bool


class ColumnOut(BaseModel):
    key: str
    label: dict[str, str]
    better: str
    precision: int


class TeamRef(BaseModel):
    id: int
    name: str


class BoardRowOut(BaseModel):
    rank: int
    team: TeamRef
    submission_id: int
    submitted_at: datetime
    scores: dict[str, float | None]


class LeaderboardOut(BaseModel):
    challenge: str
    phase: str
    split: str
    columns: list[ColumnOut]
    rows: list[BoardRowOut]
