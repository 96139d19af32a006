"""Dates as people read them on a contest page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from app.core.db import utcnow

DEFAULT_TIME_ZONE = "Europe/Rome"  # the catalog's city; a bundle's `time_zone` overrides it


def format_when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, or the default one for a name this machine does not know."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def format_local(value: datetime, lang: str, time_zone: str | None = None) -> str:
    """A moment as a reader of `lang` writes it in the challenge's time zone: Italian
    "1 marzo 2027, 18:00", English "1 March 2027, 18:00" (day first in both: European sites)."""
    return format_datetime(value, "d MMMM y, HH:mm", tzinfo=zone(time_zone), locale=lang)


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
