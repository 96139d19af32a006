"""Where a submission would go: the challenge, the caller's team, the phase, what quota is left.

Shared by the web form and the JSON API so both refuse the same things with
the same words, before any byte of the upload is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.challenges import service as challenges
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.submissions.quotas import challenge_time_zone, check, usage
from app.submissions.service import project_phase_refused
from app.teams.models import Team
from app.teams.service import team_of


@dataclass(frozen=True)
class SubmitContext:
    challenge: Challenge
    team: Team | None
    phases: list[Phase]


def published_challenge(session: Session, slug: str) -> Challenge | Refusal:
    challenge = challenges.challenge_by_slug(session, slug)
    if challenge is None or not challenge.published or challenge.id is None:
        return Refusal(
            Kind.not_found,
            _("No published challenge is called {slug}.").format(slug=repr(slug)),
            "no_challenge",
        )
    return challenge


def submit_context(session: Session, slug: str, user_id: int) -> SubmitContext | Refusal:
    challenge = published_challenge(session, slug)
    if isinstance(challenge, Refusal):
        return challenge
    assert challenge.id is not None
    return SubmitContext(
        challenge=challenge,
        team=team_of(session, challenge.id, user_id),
        phases=challenges.phases_of(session, challenge.id),
    )


def choose_phase(context: SubmitContext, name: str | None) -> Phase | Refusal:
    """The named phase, or the open one; a closed or unknown phase is a refusal."""
    if name:
        for phase in context.phases:
            if phase.name == name:
                return phase
        names = ", ".join(p.name for p in context.phases) or "none"
        return Refusal(
            Kind.not_found,
            _("No phase {name} in this challenge; phases: {names}.").format(
                name=repr(name), names=names
            ),
            "no_phase",
        )
    current = challenges.current_phase(context.phases)
    if current is None:
        return Refusal(Kind.conflict, _("No phase of this challenge is open now."), "phase_closed")
    return current


def require_team(context: SubmitContext) -> Team | Refusal:
    if context.team is None:
        return Refusal(
            Kind.forbidden,
            _("Join or create a team for this challenge before submitting."),
            "no_team",
        )
    return context.team


@dataclass(frozen=True)
class QuotaLeft:
    """What the team may still submit in this phase; None means no limit."""

    today: int | None
    total: int | None
    running: int | None
    used_today: int
    used_total: int
    in_flight: int
    resets_at: datetime


def quota_left(session: Session, phase: Phase, team_id: int) -> QuotaLeft:
    assert phase.id is not None
    used = usage(
        session, phase.id, team_id, utcnow(), challenge_time_zone(session, phase.challenge_id)
    )

    def left(limit: int | None, spent: int) -> int | None:
        return None if limit is None else max(0, limit - spent)

    return QuotaLeft(
        today=left(phase.max_per_day, used.today),
        total=left(phase.max_total, used.total),
        running=left(phase.max_concurrent, used.running),
        used_today=used.today,
        used_total=used.total,
        in_flight=used.running,
        resets_at=used.resets_at,
    )


def precheck(session: Session, phase: Phase, team: Team) -> Refusal | None:
    """Refuse early (before the upload is read) what create_submission would refuse anyway.

    Advisory only: the authoritative check runs again under the team lock.
    """
    assert phase.id is not None and team.id is not None
    refused = project_phase_refused(session, phase)
    if refused is not None:
        return refused
    if challenges.phase_state(phase) != "open":
        return Refusal(
            Kind.conflict,
            _("The phase is not open now: it runs from {start} to {end} UTC.").format(
                start=f"{phase.start:%Y-%m-%d %H:%M}", end=f"{phase.end:%Y-%m-%d %H:%M}"
            ),
            "phase_closed",
        )
    time_zone = challenge_time_zone(session, phase.challenge_id)
    return check(phase, usage(session, phase.id, team.id, utcnow(), time_zone))
