"""Response models of the JSON API: what clients may rely on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.core.db import MAX_ROW_ID


class ErrorDetail(BaseModel):
    status: int
    message: str
    kind: str | None = Field(
        None, description="For a refusal: what sort it is (app.core.refusal.Kind), e.g. conflict."
    )
    code: str | None = Field(None, description="For a refusal: its precise reason, e.g. team_full.")
    field: str | None = Field(None, description="For a refusal: the input to correct, if one.")


class ErrorBody(BaseModel):
    """Every API error has this body, whatever went wrong."""

    error: ErrorDetail


# Answers any /api/v1 operation may give whatever it does, documented once for all of them
# (app/main.py adds them to every API router) so that clients and the schema agree.
COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "The request body could not be read."},
    401: {"model": ErrorBody, "description": "The Bearer token is unknown, expired or revoked."},
    403: {
        "model": ErrorBody,
        "description": "Not allowed; for a request that changes something and carries no "
        "Bearer token: the browser session's CSRF token is missing.",
    },
}


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


class ColumnOut(BaseModel):
    key: str
    label: dict[str, str]
    better: str
    precision: int


class BoardSpecOut(BaseModel):
    columns: list[ColumnOut]
    rank_by: str = Field(description="The key of the column that ranks teams.")
    tie_breakers: list[str] = Field(description="Column keys that break ties, in order.")


class ChallengeDetailOut(ChallengeOut):
    phases: list[PhaseOut]
    licence: str
    private_revealed: bool
    leaderboard: BoardSpecOut | None = Field(
        description="The board's columns and ranking; null for a project-only challenge (every "
        "phase of kind `project`): a jury judges it, nothing is scored, and its teams hand in "
        "a project at /challenges/{slug}/project instead of uploading files."
    )


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
    total: int = Field(description="Rows of the whole board, whatever page this is.")
    offset: int | None = Field(None, description="A page's first row (absent: the whole board).")
    limit: int | None = Field(None, description="A page's size (absent: the whole board).")
    rows: list[BoardRowOut]


class MemberOut(BaseModel):
    user_id: int
    name: str
    captain: bool
    joined_at: datetime


class TeamOut(BaseModel):
    id: int
    name: str
    challenge: str
    captain_id: int
    approved: bool
    members: list[MemberOut]
    invite_code: str | None = None  # captain only
    invite_link: str | None = None  # captain only


class TeamCreateIn(BaseModel):
    name: str


class TeamJoinIn(BaseModel):
    code: str | None = None
    token: str | None = None


class HandOverIn(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ROW_ID)


class StatusChangeOut(BaseModel):
    status: str
    at: datetime
    detail: str


class SubmissionOut(BaseModel):
    id: int
    challenge: str
    phase: str
    team: TeamRef
    status: str
    failure: str | None
    message: str
    filename: str
    size: int
    sha256: str
    description: str
    link: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    scores: dict[str, dict[str, float]]
    selected_final: bool
    url: str


class SubmissionDetailOut(SubmissionOut):
    history: list[StatusChangeOut]
    logs: dict[str, dict[str, str]]
    private_hidden: bool


class SubmissionListOut(BaseModel):
    items: list[SubmissionOut]
    next_before: int | None
