"""Tell live pages that a submission changed: one event per transition.

A `scored` event names the kept boards the score moved (`boards`: "public",
"private", both or none), the team's new entry on each (`entries`, so a web
process moves one row of its cached board instead of rebuilding it), and when
the submission was made. Readers' streams and board caches decide from these
what *they* may react to (app.api.challenges, app.leaderboard.cache): a private
board that moved must never look, to a participant, different from one that
did not. Events stay between the site's processes; streams forward none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.live.events import challenge_channel, publish, submission_channel
from app.submissions.models import Submission


def notify_status(
    engine: Engine,
    client: redis.Redis,
    submission_id: int,
    *,
    boards: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    boards = boards or {}
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            return
        payload = {
            "type": "submission",
            "submission_id": submission_id,
            "challenge_id": submission.challenge_id,
            "phase_id": submission.phase_id,
            "team_id": submission.team_id,
            "status": str(submission.status),
            "failure": submission.failure,
            "submitted_at": submission.created_at.isoformat(),
            "boards": sorted(boards),
            "entries": {split: dict(entry) for split, entry in boards.items()},
        }
        challenge_id = submission.challenge_id
    publish(client, [submission_channel(submission_id), challenge_channel(challenge_id)], payload)
