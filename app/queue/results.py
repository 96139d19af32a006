"""Recording a judging result: one transaction, written once.

The status change, the scores with their provenance and the team's
leaderboard entry change together or not at all. The guarded `finish`
makes the write idempotent: a stale attempt (its worker was presumed dead
and the submission judged again) writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.challenges.models import Challenge
from app.core.runtime import Runtime
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import SPLITS, offer
from app.queue.runner import store_logs
from app.submissions.lifecycle import SUBMISSIONS
from app.submissions.models import Score, Status, Submission
from app.teams.models import Team
from judging import JudgeResult


def record_result(
    runtime: Runtime, submission_id: int, attempt: int, result: JudgeResult
) -> dict[str, dict[str, Any]]:
    """Write the outcome; for each split whose kept board the score changed, the team's new
    entry as the score event carries it (empty: no board changed)."""
    data = result.to_json()
    logs_sha256 = store_logs(runtime.store, data)
    scored = data["status"] == "scored"
    changed: dict[str, dict[str, Any]] = {}
    with Session(runtime.engine) as session:
        won = SUBMISSIONS.finish(
            session,
            submission_id,
            attempt,
            status=Status.scored if scored else Status.failed,
            failure=data["failure"],
            message=data["message"],
            values={
                "duration_s": data["duration_s"],
                "logs_sha256": logs_sha256,
                "message_i18n": data["message_i18n"],
                "provenance": data["provenance"],
            },
        )
        if not won:
            session.rollback()
            return changed
        if scored:
            changed = _record_scores(session, submission_id, data["scores"])
        session.commit()
    return changed


def _record_scores(
    session: Session, submission_id: int, scores: dict[str, dict[str, float]]
) -> dict[str, dict[str, Any]]:
    submission = session.get(Submission, submission_id)
    assert submission is not None and submission.id is not None
    challenge = session.get(Challenge, submission.challenge_id)
    assert challenge is not None
    previous = session.exec(
        select(func.max(Score.version)).where(Score.submission_id == submission_id)
    ).one()
    version = int(previous or 0) + 1
    for split, values in scores.items():
        for key, value in values.items():
            session.add(
                Score(
                    submission_id=submission_id, version=version, split=split, key=key, value=value
                )
            )
    spec = BoardSpec.from_config(challenge.config)
    changed: dict[str, dict[str, Any]] = {}
    team_name: str | None = None
    for split in SPLITS:
        split_values = scores.get(split)
        if not split_values:
            continue
        if offer(
            session,
            spec,
            phase_id=submission.phase_id,
            team_id=submission.team_id,
            split=split,
            submission_id=submission.id,
            submitted_at=submission.created_at,
            values=dict(split_values),
        ):
            if team_name is None:
                team = session.get(Team, submission.team_id)
                team_name = team.name if team is not None else ""
            changed[split] = {
                "team_id": submission.team_id,
                "team_name": team_name,
                "submission_id": submission.id,
                "submitted_at": submission.created_at.isoformat(),
                "values": dict(split_values),
            }
    return changed
