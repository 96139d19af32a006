"""Accepting a submission: quota check and insert as one atomic step per team."""

from __future__ import annotations

from sqlmodel import Session

from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.store import StoredObject
from app.i18n.speech import gettext as _
from app.submissions.models import Status, Submission, SubmissionEvent
from app.submissions.quotas import challenge_time_zone, check, usage
from app.teams.locking import lock_team
from app.teams.models import Team

PROJECT_KIND = "project"


def project_phase_refused(session: Session, phase: Phase) -> Refusal | None:
    """A project phase takes a project (pages, links, files judges review), never a file to
    score: an upload there would be queued for a scorer the bundle does not have."""
    if phase.kind != PROJECT_KIND:
        return None
    challenge = session.get(Challenge, phase.challenge_id)
    slug = challenge.slug if challenge is not None else ""
    return Refusal(
        Kind.conflict,
        _(
            "The phase {phase} takes a project, not a file: a jury judges it. Hand in your "
            "team's project at /challenges/{slug}/project."
        ).format(phase=phase.name, slug=slug),
        "project_phase",
    )


def create_submission(
    session: Session,
    *,
    phase: Phase,
    team: Team,
    user_id: int,
    stored: StoredObject,
    filename: str,
    description: str = "",
    link: str | None = None,
) -> Submission | Refusal:
    """Insert a queued submission if the team may submit now; the caller commits.

    Must be the first thing in its transaction (see lock_team). The team is read again
    under the lock: it was looked up before the upload, which may have taken minutes, and
    may since have been deleted (its last member left), disqualified or approved.
    """
    assert phase.id is not None and team.id is not None
    refused = project_phase_refused(session, phase)
    if refused is not None:
        return refused
    current = session.get(Team, team.id) if lock_team(session, team.id) else None
    if current is None:
        return Refusal(
            Kind.forbidden, "Join or create a team for this challenge before submitting.", "no_team"
        )
    session.refresh(current)
    team = current
    assert team.id is not None
    now = utcnow()
    if not (phase.start <= now < phase.end):
        return Refusal(
            Kind.conflict,
            _("The phase is not open now: it runs from {start} to {end} UTC.").format(
                start=f"{phase.start:%Y-%m-%d %H:%M}", end=f"{phase.end:%Y-%m-%d %H:%M}"
            ),
            "phase_closed",
        )
    if team.disqualified_reason:
        return Refusal(
            Kind.forbidden,
            _("Your team is disqualified: {reason}").format(reason=team.disqualified_reason),
            "disqualified",
        )
    if not team.approved:
        return Refusal(
            Kind.forbidden, _("Your team is waiting for the organisers' approval."), "not_approved"
        )
    time_zone = challenge_time_zone(session, phase.challenge_id)
    refusal = check(phase, usage(session, phase.id, team.id, now, time_zone))
    if refusal is not None:
        return refusal
    submission = Submission(
        challenge_id=phase.challenge_id,
        phase_id=phase.id,
        team_id=team.id,
        user_id=user_id,
        kind=phase.kind,
        file_sha256=stored.sha256,
        filename=filename[:255],
        size=stored.size,
        description=description[:2000],
        link=link,
        status=Status.queued,
        created_at=now,
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None
    session.add(SubmissionEvent(submission_id=submission.id, status=Status.queued.value, at=now))
    return submission
