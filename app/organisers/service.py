"""What organisers change on a challenge: publishing and phase dates, each one audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.submissions.finals import dates_change_refused
from app.submissions.models import Status, Submission


def lock_challenge(session: Session, challenge_id: int) -> None:
    """Serialise the reveal and phase-date changes of one challenge until the transaction ends.

    As `lock_team`: an UPDATE takes PostgreSQL's row lock and SQLite's write
    lock alike, so a date change cannot pass its check while a reveal commits.
    """
    session.execute(
        update(Challenge).where(col(Challenge.id) == challenge_id).values(updated_at=utcnow())
    )


def all_challenges(session: Session) -> list[Challenge]:
    """Drafts included: organisers prepare challenges before anyone else may see them."""
    return list(session.exec(select(Challenge).order_by(col(Challenge.slug))))


def set_published(session: Session, actor: User, challenge: Challenge, published: bool) -> bool:
    """True when the state changed; publishing twice writes no second audit event."""
    if challenge.published == published:
        return False
    challenge.published = published
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(
        session,
        actor,
        challenge.id,
        "challenge.publish" if published else "challenge.unpublish",
        challenge.slug,
    )
    return True


def parse_when(text: str) -> datetime | Refusal:
    """A date from a form: ISO 8601; without a time zone it is taken as UTC (the form says so)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return Refusal(
            Kind.invalid, f"{text!r} is not a date and time; write it as 2026-06-01T09:00 (UTC)."
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def change_phase_dates(
    session: Session, actor: User, challenge: Challenge, phase_name: str, start: str, end: str
) -> Phase | Refusal:
    """Move one phase; refused when it would end before it starts or overlap another phase.

    Overlaps are refused because "the open phase" must be one phase at any moment:
    submissions, quotas and the default leaderboard all pick it by date. After
    the private board has been revealed, an ended phase may not open again (its
    final choices are locked: `app.submissions.finals.dates_change_refused`).
    Must be the first statement of its transaction (`lock_challenge`).
    """
    assert challenge.id is not None
    lock_challenge(session, challenge.id)
    session.refresh(challenge)
    phases = list(session.exec(select(Phase).where(Phase.challenge_id == challenge.id)))
    phase = next((p for p in phases if p.name == phase_name), None)
    if phase is None:
        return Refusal(Kind.not_found, f"This challenge has no phase {phase_name!r}.")
    new_start, new_end = parse_when(start), parse_when(end)
    if isinstance(new_start, Refusal):
        return new_start
    if isinstance(new_end, Refusal):
        return new_end
    if new_start >= new_end:
        return Refusal(Kind.invalid, "The phase must start before it ends; check both dates.")
    locked = dates_change_refused(session, challenge, phase, new_start, new_end)
    if locked is not None:
        return Refusal(Kind.conflict, locked)
    for other in phases:
        if other.id != phase.id and new_start < other.end and other.start < new_end:
            return Refusal(
                Kind.conflict,
                f"These dates overlap phase {other.name!r} "
                f"({other.start:%Y-%m-%d %H:%M} – {other.end:%Y-%m-%d %H:%M} UTC); "
                "move that phase first or choose dates outside it.",
            )
    old = {"start": phase.start.isoformat(), "end": phase.end.isoformat()}
    phase.start, phase.end = new_start, new_end
    session.add(phase)
    record(
        session,
        actor,
        challenge.id,
        "phase.dates",
        phase.name,
        {"old": old, "new": {"start": new_start.isoformat(), "end": new_end.isoformat()}},
    )
    return phase


def queue_figures(session: Session, challenge_id: int) -> dict[str, int]:
    """Submissions of the challenge by status, every status present (zero when none)."""
    rows = session.exec(
        select(Submission.status, func.count())
        .where(Submission.challenge_id == challenge_id)
        .group_by(col(Submission.status))
    ).all()
    counts = {status.value: 0 for status in Status}
    for status, count in rows:
        counts[str(status)] = int(count)
    return counts
