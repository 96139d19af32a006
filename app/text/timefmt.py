"""Dates as people read them on a contest page.

The database and the API keep UTC; pages show the challenge's own clock (a bundle's
`time_zone`, else Europe/Rome) in the reader's language, with the UTC moment kept in the
`<time>` element so a machine (and a hover) can still read the unambiguous value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, get_timezone_location
from babel.numbers import format_decimal
from babel.units import format_unit
from markupsafe import Markup

from app.core.db import utcnow

DEFAULT_TIME_ZONE = "Europe/Rome"  # the catalog's city; a bundle's `time_zone` overrides it


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC, so say so."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_when(value: datetime | None) -> str:
    """The UTC moment as plain text, for logs and the API's neighbours that must not guess."""
    if value is None:
        return ""
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, or the default one for a name this machine does not know."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def zone_city(time_zone: str | None, lang: str) -> str:
    """The zone's city in `lang` ("Roma", "Rome"): what people say, unlike "Europe/Rome"."""
    return str(get_timezone_location(zone(time_zone), locale=lang, return_city=True))


def format_local(value: datetime, lang: str, time_zone: str | None = None) -> str:
    """A moment as a reader of `lang` writes it in the challenge's time zone: Italian
    "1 marzo 2027, 18:00", English "1 March 2027, 18:00" (day first in both: European sites)."""
    return format_datetime(as_utc(value), "d MMMM y, HH:mm", tzinfo=zone(time_zone), locale=lang)


def local_time(value: datetime | None, lang: str, time_zone: str | None = None) -> Markup:
    """A `<time>` element: local words for the reader, the UTC moment for machines and hover.

    Markup.format escapes every piece, so a zone or locale name cannot inject markup.
    """
    if value is None:
        return Markup("")
    utc = as_utc(value)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        utc.isoformat().replace("+00:00", "Z"),
        format_when(utc),
        format_local(utc, lang, time_zone),
    )


def time_left(end: datetime, now: datetime | None = None, lang: str = "en") -> str:
    """A short countdown in words of `lang` ("3 giorni 4 ore", "12 min"); empty once passed.

    CLDR's unit patterns carry the plural forms, so no catalog entry is needed per unit.
    """
    seconds = int((as_utc(end) - as_utc(now or utcnow())).total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60

    def words(amount: int, unit: str, length: str = "long") -> str:
        return str(format_unit(amount, f"duration-{unit}", length=length, locale=lang))  # type: ignore[arg-type]

    if days:
        return words(days, "day") + (f" {words(hours, 'hour')}" if hours else "")
    if hours:
        return words(hours, "hour") + (f" {words(minutes, 'minute', 'short')}" if minutes else "")
    return words(max(minutes, 1), "minute", "short")


def decimal(value: float | int | None, precision: int | None, lang: str) -> str:
    """A score with `precision` decimals (all of them, so columns line up) in the reader's
    notation: "0,500" in Italian. No grouping: scores are read digit by digit, not as sums."""
    if value is None:
        return "—"
    pattern = "0" if not precision else "0." + "0" * precision
    return str(format_decimal(value, format=pattern, locale=lang))
