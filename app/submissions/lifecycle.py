"""Every change of a submission's state, done as a guarded UPDATE so it happens once.

The transitions are the shared ones of `app.core.claimable` (the same as a
rescore item's); what submissions add is their status history: every change
writes a SubmissionEvent row, shown to the team, in the transaction that made it.
"""

from __future__ import annotations

from sqlmodel import Session

from app.core.claimable import Claimable
from app.submissions.models import Status, Submission, SubmissionEvent


def _record(session: Session, submission_id: int, status: str, detail: str) -> None:
    session.add(SubmissionEvent(submission_id=submission_id, status=status, detail=detail[:2000]))


SUBMISSIONS = Claimable(
    Submission,
    queued=Status.queued,
    running=Status.running,
    failed=Status.failed,
    history=_record,
)


def cancel(session: Session, submission_id: int, reason: str) -> bool:
    """An organiser stops a submission; a run still going finds its row gone and writes nothing."""
    return SUBMISSIONS.end(
        session,
        submission_id,
        expect=(Status.queued, Status.running),
        status=Status.cancelled,
        message=reason,
    )
