"""Finding the challenge (and phase) a request names, or answering 404: for pages and API alike.

Two kinds of reader, two helpers: the public (`published_challenge_or_404`: drafts do not
exist for them) and the staff pages (`challenge_or_404`: every loaded challenge).
"""

from __future__ import annotations

from fastapi import HTTPException
from sqlmodel import Session

from app.challenges import service
from app.challenges.models import Challenge, Phase


def challenge_or_404(session: Session, slug: str) -> Challenge:
    """Any loaded challenge, drafts included (for organisers' and judges' pages)."""
    challenge = service.challenge_by_slug(session, slug)
    if challenge is None or challenge.id is None:
        raise HTTPException(404, f"No challenge is called {slug!r}; load its bundle first.")
    return challenge


def published_challenge_or_404(session: Session, slug: str) -> Challenge:
    """A published challenge: to everyone else a draft does not exist."""
    challenge = service.challenge_by_slug(session, slug)
    if challenge is None or not challenge.published or challenge.id is None:
        raise HTTPException(404, f"No published challenge is called {slug!r}.")
    return challenge


def pick_phase(session: Session, challenge: Challenge, name: str | None) -> Phase:
    """The phase a reader names, or the open one (else the first); 404 naming the phases."""
    assert challenge.id is not None
    phases = service.phases_of(session, challenge.id)
    if not phases:
        raise HTTPException(404, "This challenge has no phases.")
    if name is None:
        return service.current_phase(phases) or phases[0]
    for phase in phases:
        if phase.name == name:
            return phase
    names = ", ".join(p.name for p in phases)
    raise HTTPException(404, f"No phase {name!r} in this challenge; phases: {names}.")
