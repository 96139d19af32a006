"""Every change of a submission's state, done as a guarded UPDATE so it happens once.

Workers, the sweeper and the web process may race on the same submission; each
transition names the state it expects, and only the first one wins. Every
change writes a SubmissionEvent row, the status history shown to the team.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.core.db import utcnow
from app.submissions.models import Status, Submission, SubmissionEvent


def _record(session: Session, submission_id: int, status: Status, detail: str = "") -> None:
    session.add(
        SubmissionEvent(submission_id=submission_id, status=status.value, detail=detail[:2000])
    )


def mark_dispatched(session: Session, submission_id: int, job_id: str) -> bool:
    """Remember which queue job carries the submission; False when another dispatcher won."""
    result = session.execute(
        update(Submission)
        .where(
            col(Submission.id) == submission_id,
            col(Submission.status) == Status.queued,
            col(Submission.job_id).is_(None),
        )
        .values(job_id=job_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim(session: Session, submission_id: int, job_id: str, worker: str) -> int | None:
    """Move queued -> running for this job; returns the attempt number, or None if not ours."""
    now = utcnow()
    result = session.execute(
        update(Submission)
        .where(
            col(Submission.id) == submission_id,
            col(Submission.status) == Status.queued,
            col(Submission.job_id) == job_id,
        )
        .values(
            status=Status.running,
            attempts=Submission.attempts + 1,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    submission = session.get(Submission, submission_id)
    assert submission is not None
    session.refresh(submission)
    _record(session, submission_id, Status.running, f"attempt {submission.attempts} on {worker}")
    return submission.attempts


def heartbeat(session: Session, submission_id: int, attempt: int) -> bool:
    result = session.execute(
        update(Submission)
        .where(
            col(Submission.id) == submission_id,
            col(Submission.status) == Status.running,
            col(Submission.attempts) == attempt,
        )
        .values(heartbeat_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish(
    session: Session,
    submission_id: int,
    attempt: int,
    *,
    status: Status,
    failure: str | None,
    message: str,
    values: dict[str, Any],
) -> bool:
    """running -> scored/failed for the attempt that holds it; a stale attempt writes nothing."""
    result = session.execute(
        update(Submission)
        .where(
            col(Submission.id) == submission_id,
            col(Submission.status) == Status.running,
            col(Submission.attempts) == attempt,
        )
        .values(
            status=status, failure=failure, message=message[:4000], finished_at=utcnow(), **values
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _record(session, submission_id, status, failure or "")
    return True


def requeue(
    session: Session, submission_id: int, *, expect: Status, reason: str, attempt: int | None = None
) -> bool:
    """Back to queued (worker died, engine down, Redis lost the job) without losing anything."""
    conditions = [col(Submission.id) == submission_id, col(Submission.status) == expect]
    if attempt is not None:
        conditions.append(col(Submission.attempts) == attempt)
    result = session.execute(
        update(Submission)
        .where(*conditions)
        .values(status=Status.queued, job_id=None, worker=None, heartbeat_at=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _record(session, submission_id, Status.queued, reason)
    return True


def fail_internal(session: Session, submission_id: int, *, expect: Status, message: str) -> bool:
    """Give up after the retries: failed as an internal error, with a message for the team."""
    result = session.execute(
        update(Submission)
        .where(col(Submission.id) == submission_id, col(Submission.status) == expect)
        .values(
            status=Status.failed,
            failure="internal_error",
            message=message[:4000],
            finished_at=utcnow(),
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _record(session, submission_id, Status.failed, "internal_error")
    return True


def cancel(session: Session, submission_id: int, reason: str) -> bool:
    result = session.execute(
        update(Submission)
        .where(
            col(Submission.id) == submission_id,
            col(Submission.status).in_([Status.queued, Status.running]),
        )
        .values(status=Status.cancelled, message=reason[:4000], finished_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _record(session, submission_id, Status.cancelled, reason)
    return True
