"""Submission quotas per team and phase: per day, in total, and running at once.

Failed and cancelled submissions do not count against the daily or total
quota (a team should not lose a slot to our timeout or their typo), but they
are rate-limited: at most `failed_allowance(per_day)` of them a day, so
failures cannot be used to flood the queue (EvalAI #4348).

Refusals are worded in the request's language (the API's is English unless asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.challenges.models import Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.i18n.speech import ngettext
from app.submissions.models import Status, Submission

COUNTED = (Status.queued, Status.running, Status.scored)
NOT_COUNTED = (Status.failed, Status.cancelled)


@dataclass(frozen=True)
class QuotaUsage:
    today: int
    failed_today: int
    total: int
    running: int
    resets_at: datetime


# A slot of a team's concurrent submissions frees when one finishes; this is a fair guess.
CONCURRENT_RETRY_S = 30


def failed_allowance(per_day: int | None) -> int:
    return max(5, per_day or 0)


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    return start, start + timedelta(days=1)


def usage(session: Session, phase_id: int, team_id: int, now: datetime) -> QuotaUsage:
    start, end = day_bounds(now)
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
    return QuotaUsage(today, failed_today, total, running, end)


def check(phase: Phase, used: QuotaUsage) -> Refusal | None:
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
                "at {time} UTC."
            ).format(limit=phase.max_per_day, time=f"{used.resets_at:%H:%M}"),
            "per_day",
            retry_at=used.resets_at,
        )
    allowance = failed_allowance(phase.max_per_day)
    if used.failed_today >= allowance:
        return Refusal(
            Kind.too_many,
            _(
                "Your team has had {count} failed submissions today; to keep the queue fair, "
                "try again after {time} UTC, and test with `marea judge` first."
            ).format(count=used.failed_today, time=f"{used.resets_at:%H:%M}"),
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
