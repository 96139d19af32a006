"""Freezing the public board at a moment, and revealing the private board at the end.

The organisers' actions only; what each reader then sees is decided in
`app.leaderboard.boards`. Revealing locks every team's final choices for good
(see `app.submissions.finals`): it asks for confirmation, and for an explicit
second one while a phase whose private scores it shows is not over yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges import service as challenges
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.i18n.speech import ngettext, speaking
from app.organisers.service import lock_challenge
from app.submissions.finals import REVEAL_ACTION, choose_defaults
from app.submissions.models import Score, Status, Submission
from app.teams.locking import lock_team
from app.teams.models import Team
from app.text.timefmt import format_local


def no_board(challenge: Challenge) -> Refusal | None:
    """Freezing, revealing and exporting act on a leaderboard; a project-only challenge has none
    (a jury ranks it), so these are refused rather than recorded as if they meant something."""
    if challenge.config.get("leaderboard"):
        return None
    return Refusal(
        Kind.conflict,
        _(
            "This challenge has no leaderboard: a jury judges its projects, so there is no "
            "board to freeze, reveal or export."
        ),
        "no_board",
    )


def freeze(session: Session, actor: User, challenge: Challenge, at: datetime | None = None) -> None:
    challenge.frozen_at = at or utcnow()
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(
        session,
        actor,
        challenge.id,
        "board.freeze",
        challenge.slug,
        {"frozen_at": challenge.frozen_at.isoformat()},
    )


def unfreeze(session: Session, actor: User, challenge: Challenge) -> None:
    if challenge.frozen_at is None:
        return
    previous = challenge.frozen_at.isoformat()
    challenge.frozen_at = None
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(session, actor, challenge.id, "board.unfreeze", challenge.slug, {"was": previous})


@dataclass(frozen=True)
class PhaseExposure:
    """What revealing shows of one phase: its state and how many private scores it has."""

    phase: Phase
    state: str  # "open" | "upcoming" | "closed"
    private_scored: int  # scored submissions with a private score

    @property
    def over(self) -> bool:
        return self.state == "closed"


def exposure(
    session: Session, challenge: Challenge, now: datetime | None = None
) -> list[PhaseExposure]:
    """Every phase in order, with the private scores the reveal would show of it."""
    assert challenge.id is not None
    now = now or utcnow()
    counts = dict(
        session.exec(
            select(Submission.phase_id, func.count(func.distinct(Submission.id)))
            .join(Score, col(Score.submission_id) == col(Submission.id))
            .where(
                Submission.challenge_id == challenge.id,
                Submission.status == Status.scored,
                Score.split == "private",
                col(Score.current).is_(True),
            )
            .group_by(col(Submission.phase_id))
        ).all()
    )
    return [
        PhaseExposure(p, challenges.phase_state(p, now), int(counts.get(p.id or 0, 0)))
        for p in challenges.phases_of(session, challenge.id)
    ]


def not_over_message(phases: list[PhaseExposure], time_zone: str | None = None) -> str:
    """In the reader's language, with each end in the challenge's time zone."""
    lang = speaking()
    states = {"open": _("open"), "upcoming": _("upcoming"), "closed": _("closed")}
    parts = [
        ngettext(
            "phase {name} ({state}, until {end}, {count} submission with private scores)",
            "phase {name} ({state}, until {end}, {count} submissions with private scores)",
            e.private_scored,
        ).format(
            name=repr(e.phase.name),
            state=states.get(e.state, e.state),
            end=format_local(e.phase.end, lang, time_zone),
            count=e.private_scored,
        )
        for e in phases
    ]
    return _(
        "Not every phase is over: {phases}. Revealing now shows teams private scores while "
        "they can still submit, and locks every final choice at once; confirm the early reveal "
        "explicitly, or wait for the end."
    ).format(phases="; ".join(parts))


def reveal(
    session: Session,
    actor: User,
    challenge: Challenge,
    *,
    confirmed: bool,
    early: bool = False,
    now: datetime | None = None,
) -> Refusal | None:
    """Show the private split; must be the first statement of its transaction.

    Irreversible in effect (people will have seen the private board), so it
    needs `confirmed`, and `early` too while any phase is open or upcoming.
    The challenge row, then every team, is locked before the implicit finals
    are written down, so no choice can slip in beside them (`set_final` checks
    the reveal under the team lock). Revealing twice does nothing.
    """
    assert challenge.id is not None
    lock_challenge(session, challenge.id)
    session.refresh(challenge)
    if challenge.private_revealed:
        return None
    refused = no_board(challenge)
    if refused is not None:
        return refused
    if not confirmed:
        return Refusal(
            Kind.conflict,
            _(
                "Revealing the private leaderboard cannot be undone in effect; confirm it on the "
                "confirmation page."
            ),
            "unconfirmed",
        )
    not_over = [e for e in exposure(session, challenge, now) if not e.over]
    if not_over and not early:
        zone_name = challenge.config.get("time_zone")
        return Refusal(
            Kind.conflict,
            not_over_message(not_over, zone_name if isinstance(zone_name, str) else None),
            "phase_not_over",
        )
    team_ids = session.exec(
        select(Team.id).where(Team.challenge_id == challenge.id).order_by(col(Team.id))
    ).all()
    for team_id in team_ids:
        assert team_id is not None
        lock_team(session, team_id)
    automatic = choose_defaults(session, challenge)
    challenge.private_revealed = True
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(
        session,
        actor,
        challenge.id,
        REVEAL_ACTION,
        challenge.slug,
        {
            "phases_not_over": [e.phase.name for e in not_over],
            "automatic_finals": automatic,
        },
    )
    return None


def hide_private(session: Session, actor: User, challenge: Challenge) -> None:
    """Hide the private split again; the final choices stay locked (people have seen it)."""
    if not challenge.private_revealed:
        return
    challenge.private_revealed = False
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(session, actor, challenge.id, "board.hide", challenge.slug)
