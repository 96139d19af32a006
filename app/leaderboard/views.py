"""Which board a reader sees: live, frozen, or the private board of final selections.

One place decides it, so the JSON API, the page and the live stream cannot
disagree: during a freeze participants get the board as it was when it froze
(judges and organisers the live one); disqualified teams are on no board; the
private board, once revealed, ranks each team by the submissions it chose as
final (or its best public ones when it chose none).
"""

from __future__ import annotations

from sqlmodel import Session

from app.challenges.models import Challenge, Phase
from app.leaderboard.boards import FROZEN, final_board, final_count, frozen_board
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import BoardRow, read_board
from app.organisers.participation import excluded_team_ids


def board_rows(
    session: Session, challenge: Challenge, phase: Phase, split: str, audience: str
) -> list[BoardRow]:
    assert challenge.id is not None and phase.id is not None
    spec = BoardSpec.from_config(challenge.config)
    exclude = excluded_team_ids(session, challenge.id)
    if split == "private":
        return final_board(session, spec, phase.id, final_count(challenge), exclude=exclude)
    if audience == FROZEN and challenge.frozen_at is not None:
        return frozen_board(session, spec, phase.id, split, challenge.frozen_at, exclude=exclude)
    return read_board(session, spec, phase.id, split, exclude=exclude)
