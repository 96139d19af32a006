"""A team's choice of final submissions for the private board (Kaggle's rule).

Up to N (the bundle's `leaderboard.final_submissions`) scored submissions per
team and phase; a team that chooses none is ranked by its best public ones
(see `app.organisers.freeze.final_board`). The team row is locked first, so two
members choosing at once cannot exceed N.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.challenges.models import Challenge
from app.leaderboard.boards import final_count
from app.submissions.models import Status, Submission
from app.teams.locking import lock_team


@dataclass(frozen=True)
class FinalRefused:
    code: str
    message: str


def set_final(
    session: Session, challenge: Challenge, submission: Submission, selected: bool
) -> Submission | FinalRefused:
    """Select or unselect; must be the first statement of its transaction (lock_team)."""
    lock_team(session, submission.team_id)
    session.refresh(submission)
    if not selected:
        submission.selected_final = False
        session.add(submission)
        return submission
    if submission.status != Status.scored:
        return FinalRefused("not_scored", "Only a scored submission can be chosen as final.")
    limit = final_count(challenge)
    chosen = session.exec(
        select(func.count()).where(
            Submission.team_id == submission.team_id,
            Submission.phase_id == submission.phase_id,
            col(Submission.selected_final).is_(True),
            Submission.id != submission.id,
        )
    ).one()
    if chosen >= limit:
        return FinalRefused(
            "too_many",
            f"Your team has already chosen {chosen} final submission(s), the most this challenge "
            f"allows ({limit}); unselect one first.",
        )
    submission.selected_final = True
    session.add(submission)
    return submission
