"""What a team's list of submissions shows, and two of its submissions side by side.

Integrity: before the private board is revealed a participant sees public scores only,
so both the list and the comparison keep the `private` split for organisers until then
(`visible_splits`), exactly as a single submission's page does (`access.view_of`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Challenge, Phase
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.leaderboard.ranking import BoardColumn, BoardSpec
from app.submissions.access import current_scores_of, runs, visible_submission
from app.submissions.models import Submission

SPLITS = ("public", "private")


def board_columns(config: Mapping[str, Any]) -> list[BoardColumn]:
    """The leaderboard's columns; none for a configuration without a readable board."""
    try:
        return list(BoardSpec.from_config(config).columns)
    except (KeyError, TypeError):
        return []


def visible_splits(session: Session, challenge: Challenge, user: User) -> tuple[str, ...]:
    """The splits this reader may see: private only for its organisers or after the reveal."""
    assert challenge.id is not None
    if challenge.private_revealed or runs(session, user, challenge.id):
        return SPLITS
    return ("public",)


def visible_scores(
    session: Session, challenge: Challenge, user: User, submission_ids: Sequence[int]
) -> dict[int, dict[str, dict[str, float]]]:
    """Current scores of many submissions (one query), without the splits the reader may not see."""
    allowed = visible_splits(session, challenge, user)
    scores = current_scores_of(session, list(submission_ids))
    return {
        sid: {split: values for split, values in by_split.items() if split in allowed}
        for sid, by_split in scores.items()
    }


@dataclass(frozen=True)
class ColumnDiff:
    """One column on one split: both values, b minus a, and which of the two is better."""

    split: str
    column: BoardColumn
    a: float | None
    b: float | None

    @property
    def difference(self) -> float | None:
        if self.a is None or self.b is None:
            return None
        return self.b - self.a

    @property
    def better(self) -> str | None:
        """ "a", "b", or None when they tie or one is missing."""
        if self.a is None or self.b is None or self.a == self.b:
            return None
        lower_wins = self.column.better == "lower"
        return "a" if (self.a < self.b) == lower_wins else "b"


@dataclass(frozen=True)
class Comparison:
    challenge: Challenge
    a: Submission
    b: Submission
    phases: dict[int, Phase]
    rows: list[ColumnDiff]


def compare(
    session: Session, user: User, challenge: Challenge, ids: Sequence[int]
) -> Comparison | Refusal:
    """Two submissions of this challenge that the reader may see, column by column."""
    if len(ids) != 2 or ids[0] == ids[1]:
        return Refusal(Kind.invalid, _("Choose exactly two different submissions to compare."))
    found: list[Submission] = []
    for sid in ids:
        submission = visible_submission(session, user, sid)
        if submission is None or submission.challenge_id != challenge.id:
            return Refusal(
                Kind.not_found, _("No submission {number} of yours exists.").format(number=sid)
            )
        found.append(submission)
    a, b = found
    assert a.id is not None and b.id is not None
    scores = visible_scores(session, challenge, user, [a.id, b.id])
    rows = [
        ColumnDiff(
            split,
            column,
            scores.get(a.id, {}).get(split, {}).get(column.key),
            scores.get(b.id, {}).get(split, {}).get(column.key),
        )
        for split in visible_splits(session, challenge, user)
        for column in board_columns(challenge.config)
    ]
    phases: dict[int, Phase] = {}
    for phase_id in (a.phase_id, b.phase_id):
        phase = session.get(Phase, phase_id)
        if phase is not None:
            phases[phase_id] = phase
    return Comparison(challenge, a, b, phases, rows)
