"""Submission quotas per team and phase: per day, in total, and running at once.

Failed and cancelled submissions do not count against the daily or total
quota (a team should not lose a slot to our timeout or their typo), but they
are rate-limited: at most `failed_allowance(per_day)` of them a day, so
failures cannot be used to flood the queue (EvalAI #4348).

A day is the challenge's day: it starts at local midnight of the bundle's `time_zone`
(default Europe/Rome), because "today" on a contest page means the organisers' calendar,
not Greenwich's; a Roman team's quota renews at 00:00 in Rome, 23:00 UTC in winter.

Refusals are worded in the request's language (the API's is English unless asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.i18n.speech import ngettext, speaking
from app.submissions.models import Status, Submission
from app.text.timefmt import as_utc, zone, zone_city

COUNTED = (Status.queued, Status.running, Status.scored)
NOT_COUNTED = (Status.failed, Status.cancelled)


@dataclass(frozen=True)
class QuotaUsage:
    today: int
    failed_today: int
    total: int
    running: int
    resets_at: datetime
    time_zone: str | None = None  # the challenge's; None is the default zone


# A slot of a team's concurrent submissions frees when one finishes; this is a fair guess.
CONCURRENT_RETRY_S = 30


def failed_allowance(per_day: int | None) -> int:
    return max(5, per_day or 0)


def day_bounds(now: datetime, time_zone: str | None = None) -> tuple[datetime, datetime]:
    """The local day around `now` in the challenge's zone, as UTC bounds.

    Midnight is built from the local date on both ends (not start + 24 h), so the days
    that change the clocks last 23 or 25 hours and still end at local midnight.
    """
    local_zone = zone(time_zone)
    today = as_utc(now).astimezone(local_zone).date()
    start = datetime.combine(today, time(0), tzinfo=local_zone)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=local_zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def challenge_time_zone(session: Session, challenge_id: int) -> str | None:
    """The bundle's `time_zone` key of the challenge, if it names one."""
    challenge = session.get(Challenge, challenge_id)
    named = challenge.config.get("time_zone") if challenge is not None else None
    return named if isinstance(named, str) else None


def usage(
    session: Session, phase_id: int, team_id: int, now: datetime, time_zone: str | None = None
) -> QuotaUsage:
    start, end = day_bounds(now, time_zone)
    rows = session.exec(
        select(
            Submission.status,
            func.count(),
            func.sum(case((col(Submission.created_at) >= start, 1), else_=0)),
        )
        .where(Submission.phase_id == phase_id, Submission.team_id == team_id)
        .group_by(col(Submission.status))
    ).all()
    today = failed_today = total = running = 0
    for status, count, count_today in rows:
        if status in COUNTED:
            total += count
            today += int(count_today or 0)
        elif status == Status.failed:
            failed_today += int(count_today or 0)
        if status in (Status.queued, Status.running):
            running += count
    return QuotaUsage(today, failed_today, total, running, end, time_zone)


def check(phase: Phase, used: QuotaUsage) -> Refusal | None:
    city = zone_city(used.time_zone, speaking())
    if phase.max_total is not None and used.total >= phase.max_total:
        return Refusal(
            Kind.too_many,
            _("Your team has used all {limit} submissions of this phase.").format(
                limit=phase.max_total
            ),
            "total",
        )
    if phase.max_per_day is not None and used.today >= phase.max_per_day:
        return Refusal(
            Kind.too_many,
            _(
                "Your team has used its {limit} submissions for today; the count resets "
                "at midnight, {city} time ({time} UTC)."
            ).format(limit=phase.max_per_day, city=city, time=f"{as_utc(used.resets_at):%H:%M}"),
            "per_day",
            retry_at=used.resets_at,
        )
    allowance = failed_allowance(phase.max_per_day)
    if used.failed_today >= allowance:
        return Refusal(
            Kind.too_many,
            _(
                "Your team has had {count} failed submissions today; to keep the queue fair, "
                "try again after midnight, {city} time ({time} UTC), and test with `marea judge` "
                "first."
            ).format(count=used.failed_today, city=city, time=f"{as_utc(used.resets_at):%H:%M}"),
            "failed_rate",
            retry_at=used.resets_at,
        )
    if phase.max_concurrent is not None and used.running >= phase.max_concurrent:
        return Refusal(
            Kind.too_many,
            ngettext(
                "Your team already has {count} submission waiting or running (the limit is "
                "{limit}); submit again when it has finished.",
                "Your team already has {count} submissions waiting or running (the limit is "
                "{limit}); submit again when one has finished.",
                used.running,
            ).format(count=used.running, limit=phase.max_concurrent),
            "concurrent",
            retry_at=utcnow() + timedelta(seconds=CONCURRENT_RETRY_S),
        )
    return None
