"""Dates as people read them on a contest page."""

from __future__ import annotations

from datetime import datetime

from app.core.db import utcnow


def format_when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def time_left(end: datetime, now: datetime | None = None) -> str:
    """A short countdown ('3 d 4 h', '12 min'); empty once the moment has passed."""
    seconds = int((end - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"
