"""Tell live pages that a submission changed: one event per transition."""

from __future__ import annotations

import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.events import challenge_channel, publish, submission_channel
from app.submissions.models import Submission


def notify_status(
    engine: Engine, client: redis.Redis, submission_id: int, *, board_changed: bool = False
) -> None:
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
            "board_changed": board_changed,
        }
        challenge_id = submission.challenge_id
    publish(client, [submission_channel(submission_id), challenge_channel(challenge_id)], payload)


def notify_board(client: redis.Redis, challenge_id: int, phase_id: int) -> None:
    """A board changed without a new score landing (an applied rescore set)."""
    payload = {
        "type": "board",
        "challenge_id": challenge_id,
        "phase_id": phase_id,
        "board_changed": True,
    }
    publish(client, [challenge_channel(challenge_id)], payload)
