"""People's choice: the votes the public casts for a project track's teams, and the reveal.

A vote is keyed by the team voted for (a team has at most one project per challenge), so the
one-vote-per-team-per-person rule is a unique constraint the database enforces, whatever the
pages do. `address` is a salted, truncated hash of the voter's network address: the fraud
signals need only equality between votes, and a copy of the database must not hand anyone a
list of people's addresses. A voided vote stays (the voter is told, the organisers' page
keeps it beside its reason); it no longer counts. A withdrawn vote is deleted: it was the
voter's to take back, and it frees their vote.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import now_field, when

ADDRESS_CHARS = 16  # hex characters of the hash kept: equality is all the flags need
REASON_MAX = 2000


class Vote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("challenge_id", "team_id", "voter_id", name="uq_vote"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id", index=True)
    # A team dissolved by its last member's leaving takes its votes with it: they were for
    # nothing that exists any more, and their voters get them back.
    team_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("team.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    voter_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = now_field()
    address: str | None = Field(default=None, max_length=ADDRESS_CHARS)
    voided_at: datetime | None = when()
    voided_by: int | None = Field(default=None, foreign_key="user.id")
    void_reason: str | None = Field(default=None, sa_type=Text)


class VoteReveal(SQLModel, table=True):
    """The moment a challenge's organisers showed the counts to everyone: there is no undo,
    since what the public has read cannot be unread."""

    challenge_id: int = Field(foreign_key="challenge.id", primary_key=True)
    revealed_at: datetime = now_field()
    revealed_by: int | None = Field(default=None, foreign_key="user.id")
