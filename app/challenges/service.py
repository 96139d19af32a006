"""Reading challenges for pages and the API: what is published, and its phases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from app.challenges.models import Challenge, DataFile, Phase
from app.core.db import utcnow
from app.text import placeholders
from app.text.timefmt import format_local

PAGE_NAMES = ("overview", "data", "evaluation", "rules")


class Dated(Protocol):
    """Anything with a phase's dates: a `Phase` row or a process's snapshot of one."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


D = TypeVar("D", bound=Dated)


def page_markdown(challenge: Challenge, page: str, lang: str, phases: Sequence[Phase]) -> str:
    """A page's Markdown in `lang` (else its first language), with the phases' current dates
    written in for their placeholders: the phase editor moves dates the bundle cannot know."""
    texts = challenge.pages.get(page, {})
    text = texts.get(lang) or next(iter(texts.values()), "")
    by_name = {phase.name: phase for phase in phases}
    time_zone = challenge.config.get("time_zone")

    def value_of(name: str, field: str) -> str | None:
        phase = by_name.get(name)
        if phase is None or field not in placeholders.FIELDS:
            return None
        moment: datetime = getattr(phase, field)
        return format_local(moment, lang, time_zone if isinstance(time_zone, str) else None)

    return placeholders.fill(text, value_of)


def published_challenges(session: Session) -> list[Challenge]:
    stmt = select(Challenge).where(col(Challenge.published).is_(True)).order_by(col(Challenge.slug))
    return list(session.exec(stmt))


def challenge_by_slug(session: Session, slug: str) -> Challenge | None:
    return session.exec(select(Challenge).where(Challenge.slug == slug)).first()


def phases_of(session: Session, challenge_id: int) -> list[Phase]:
    stmt = select(Phase).where(Phase.challenge_id == challenge_id).order_by(col(Phase.position))
    return list(session.exec(stmt))


def public_files(session: Session, challenge_id: int) -> list[DataFile]:
    """Only files participants may download; reference data never appears here."""
    stmt = (
        select(DataFile)
        .where(DataFile.challenge_id == challenge_id, DataFile.role == "public")
        .order_by(col(DataFile.path))
    )
    return list(session.exec(stmt))


def phase_state(phase: Dated, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < phase.start:
        return "upcoming"
    if now >= phase.end:
        return "closed"
    return "open"


def current_phase(phases: Sequence[D], now: datetime | None = None) -> D | None:
    now = now or utcnow()
    for phase in phases:
        if phase_state(phase, now) == "open":
            return phase
    return None
