"""A team withdraws one of its submissions while it still waits in the queue.

Only `queued` -> `cancelled`, as one guarded UPDATE (`Claimable.end` expecting
`queued`): a worker's claim is the guarded UPDATE `queued` -> `running` on the same
row, so whichever commits first wins and the other changes nothing. A cancel that
loses is refused ("it has started"); a worker that loses finds the row no longer
queued and skips its job, never judging a cancelled submission. A running
submission cannot be withdrawn by its team (its result is on its way; organisers
can still stop it, `app.organisers.participation.cancel_submission`).

A cancelled submission does not count against the daily or total quota
(`app.submissions.quotas.NOT_COUNTED`): it was never judged, so the team learned
nothing from it. Every cancel is in the audit log, with who did it.
"""

from __future__ import annotations

from sqlmodel import Session

from app.accounts.models import User
from app.audit.service import record
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.submissions.lifecycle import SUBMISSIONS
from app.submissions.models import Status, Submission

ACTION = "submission.withdraw"


def withdraw(session: Session, submission: Submission, actor: User) -> Submission | Refusal:
    """Cancel a queued submission for its team; the caller checked membership and commits."""
    assert submission.id is not None
    done = SUBMISSIONS.end(
        session,
        submission.id,
        expect=(Status.queued,),
        status=Status.cancelled,
        message=f"Cancelled by {actor.name} before judging started.",
    )
    if not done:
        session.refresh(submission)
        return Refusal(
            Kind.conflict,
            _(
                "Submission {number} is no longer waiting in the queue (judging has started or "
                "ended); only a submission still waiting can be cancelled."
            ).format(number=submission.id),
            "not_queued",
        )
    record(
        session,
        actor,
        submission.challenge_id,
        ACTION,
        f"submission {submission.id}",
        {"submission_id": submission.id, "team_id": submission.team_id},
    )
    session.refresh(submission)
    return submission
