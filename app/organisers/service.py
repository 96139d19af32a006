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
from app.i18n.speech import gettext as _
from app.i18n.speech import speaking
from app.submissions.finals import dates_change_refused
from app.submissions.models import Status, Submission
from app.text.timefmt import format_local, zone

FORM_FORMAT = "%Y-%m-%dT%H:%M"  # what an <input type="datetime-local"> sends and shows


def lock_challenge(session: Session, challenge_id: int) -> None:
    """Serialise the reveal and phase-date changes of one challenge until the transaction ends.

    As `lock_team`: an UPDATE takes PostgreSQL's row lock and SQLite's write
    lock alike, so a date change cannot pass its check while a reveal commits.
    """
    session.execute(
        update(Challenge).where(col(Challenge.id) == challenge_id).values(updated_at=utcnow())
    )


def all_challenges(session: Session, only: set[int] | None = None) -> list[Challenge]:
    """Drafts included: organisers prepare challenges before anyone else may see them.
    `only` is the ids a person runs (None: every challenge, for an admin)."""
    stmt = select(Challenge).order_by(col(Challenge.slug))
    if only is not None:
        stmt = stmt.where(col(Challenge.id).in_(only))
    return list(session.exec(stmt))


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


def time_zone_of(challenge: Challenge) -> str:
    """The zone the challenge's dates are typed and read in: the bundle's, else the default."""
    named = challenge.config.get("time_zone")
    return zone(named if isinstance(named, str) else None).key


def form_value(moment: datetime, time_zone: str) -> tuple[str, int]:
    """A stored moment as a datetime-local input shows it in the challenge's zone, with its
    `fold`: in the hour the clocks go back, the wall time alone names two moments, so the
    form sends the fold back beside it and an unchanged field keeps its moment."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    local = utc.astimezone(zone(time_zone))
    return local.strftime(FORM_FORMAT), local.fold


def parse_when(text: str, time_zone: str | None = None, fold: int = 0) -> datetime | Refusal:
    """A date from a form, as UTC.

    A wall-clock time (what a datetime-local input sends) is read in `time_zone`, the
    challenge's, which the form names beside the field; a time with an offset or Z is that
    moment (scripts and the API's neighbours). A wall time the clocks skip (the hour they
    go forward) names no moment and is refused; one they pass twice takes `fold`.
    """
    cleaned = text.strip()
    try:
        value = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        return Refusal(
            Kind.invalid,
            _("{text} is not a date and time; write it as 2026-06-01T09:00.").format(
                text=repr(cleaned)
            ),
            "bad_date",
        )
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    place = zone(time_zone)
    local = value.replace(tzinfo=place, fold=1 if fold else 0)
    moment = local.astimezone(UTC)
    if moment.astimezone(place).replace(tzinfo=None) != value:
        return Refusal(
            Kind.invalid,
            _(
                "{time} does not exist in {zone}: the clocks go forward an hour then. "
                "Choose a time outside that hour."
            ).format(time=value.strftime("%Y-%m-%d %H:%M"), zone=place.key),
            "skipped_time",
        )
    return moment


def change_phase_dates(
    session: Session,
    actor: User,
    challenge: Challenge,
    phase_name: str,
    start: str,
    end: str,
    folds: tuple[int, int] = (0, 0),
) -> Phase | Refusal:
    """Move one phase; refused when it would end before it starts or overlap another phase.

    Overlaps are refused because "the open phase" must be one phase at any moment:
    submissions, quotas and the default leaderboard all pick it by date. After
    the private board has been revealed, an ended phase may not open again (its
    final choices are locked: `app.submissions.finals.dates_change_refused`).
    The dates are typed in the challenge's time zone (`parse_when`); `folds` are the
    form's hidden folds of the start and the end. Must be the first statement of its
    transaction (`lock_challenge`).
    """
    assert challenge.id is not None
    lock_challenge(session, challenge.id)
    session.refresh(challenge)
    phases = list(session.exec(select(Phase).where(Phase.challenge_id == challenge.id)))
    phase = next((p for p in phases if p.name == phase_name), None)
    if phase is None:
        return Refusal(
            Kind.not_found,
            _("This challenge has no phase {name}.").format(name=repr(phase_name)),
            "no_phase",
        )
    time_zone = time_zone_of(challenge)
    new_start = parse_when(start, time_zone, folds[0])
    new_end = parse_when(end, time_zone, folds[1])
    if isinstance(new_start, Refusal):
        return new_start
    if isinstance(new_end, Refusal):
        return new_end
    if new_start >= new_end:
        return Refusal(
            Kind.invalid,
            _("The phase must start before it ends; check both dates."),
            "ends_before_start",
        )
    locked = dates_change_refused(session, challenge, phase, new_start, new_end)
    if locked is not None:
        return Refusal(Kind.conflict, locked)
    for other in phases:
        if other.id != phase.id and new_start < other.end and other.start < new_end:
            lang = speaking()
            return Refusal(
                Kind.conflict,
                _(
                    "These dates overlap phase {name} ({start} – {end}, {zone}); "
                    "move that phase first or choose dates outside it."
                ).format(
                    name=repr(other.name),
                    start=format_local(other.start, lang, time_zone),
                    end=format_local(other.end, lang, time_zone),
                    zone=time_zone,
                ),
                "overlap",
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
