"""Organisers approve what a team may read of a run's log (a code phase's policy `excerpt`).

The organiser reads the whole log beside the excerpt the team would get; the
approval names that excerpt by its digest, so what the team reads is what the
organiser read, and it is written to the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge, Phase
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.submissions.excerpts import approved_excerpt, cut_excerpt, digest
from app.submissions.log_policy import LogPolicy, phase_log_policy
from app.submissions.models import FINAL_STATUSES, LogExcerpt, Submission


@dataclass(frozen=True)
class Review:
    """What the organiser's page shows: the policy, the candidate excerpt, any approval."""

    policy: LogPolicy
    candidate: str
    candidate_sha256: str
    approved: LogExcerpt | None
    reviewable: bool  # the policy is `excerpt` and the run has logs to cut from
    why_not: str  # for the organiser, when not reviewable


def review_of(
    session: Session, challenge: Challenge, submission: Submission, logs: Mapping[str, Any]
) -> Review:
    phase = session.get(Phase, submission.phase_id)
    assert phase is not None
    policy = phase_log_policy(challenge.config, phase)
    candidate = cut_excerpt(logs, policy.excerpt_bytes)
    why_not = ""
    if policy.mode != "excerpt":
        why_not = (
            f"This phase's log policy is `{policy.mode}`, not `excerpt`: there is no excerpt "
            "to approve."
        )
    elif submission.status not in FINAL_STATUSES or not submission.logs_sha256:
        why_not = "This submission has not finished judging, so it has no log yet."
    elif not candidate:
        why_not = "The program printed nothing, so there is nothing to show the team."
    return Review(
        policy=policy,
        candidate=candidate,
        candidate_sha256=digest(candidate),
        approved=approved_excerpt(session, submission) if policy.mode == "excerpt" else None,
        reviewable=not why_not,
        why_not=why_not,
    )


def approve(
    session: Session,
    actor: User,
    challenge: Challenge,
    submission: Submission,
    logs: Mapping[str, Any],
    seen_sha256: str,
) -> LogExcerpt | Refusal:
    """Approve the excerpt the organiser saw (`seen_sha256`), in the audit log's transaction."""
    review = review_of(session, challenge, submission, logs)
    if review.approved is not None:
        return review.approved  # approving twice changes nothing
    if not review.reviewable:
        return Refusal(Kind.conflict, review.why_not)
    if seen_sha256 != review.candidate_sha256:
        return Refusal(
            Kind.conflict,
            _(
                "The excerpt is not the one you saw (the log or the phase's excerpt_bytes "
                "changed since you opened the page). Read it again before approving."
            ),
            "excerpt_changed",
        )
    assert submission.id is not None and submission.logs_sha256 is not None
    stale = session.exec(select(LogExcerpt).where(LogExcerpt.submission_id == submission.id))
    for old in stale:  # an approval of an earlier run's logs
        session.delete(old)
    session.flush()
    row = LogExcerpt(
        submission_id=submission.id,
        logs_sha256=submission.logs_sha256,
        text=review.candidate,
        excerpt_bytes=review.policy.excerpt_bytes,
        approved_by=actor.id,
    )
    session.add(row)
    record(
        session,
        actor,
        challenge.id,
        "submission.log_excerpt.approve",
        f"submission {submission.id}",
        {
            "submission_id": submission.id,
            "team_id": submission.team_id,
            "excerpt_sha256": review.candidate_sha256,
            "excerpt_bytes": review.policy.excerpt_bytes,
            "logs_sha256": submission.logs_sha256,
        },
    )
    return row
