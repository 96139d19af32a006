"""Finding the challenge (and phase) a request names, or answering 404: for pages and API alike.

Three kinds of reader: the public (`published_challenge_or_404`: drafts do not exist for
them), the people who run a challenge (`OrganisedChallenge`: only the challenges their scope
covers, see app.roles.service), and the judges' pages (`challenge_or_404`, then the page
checks the judge's assignment). A route
whose first act is that lookup takes it as a path dependency instead, `PublishedChallenge`
or `AnyChallenge`: it reads `{slug}` and shares the request's session (FastAPI solves
`SessionDep` once per request), so what the handler then loads or locks sees the same rows.
Declare it after the caller's user, so an anonymous visitor is sent to log in, and a
bearer token refused, before an unknown challenge is a 404, as when the lookup was inline.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from sqlmodel import Session

from app.accounts.deps import CurrentUser, ScopeDep
from app.challenges import service
from app.challenges.models import Challenge, Phase
from app.i18n.speech import gettext as _
from app.roles import service as roles
from app.roles.service import Scope
from app.web.deps import SessionDep


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


def get_any_challenge(slug: str, db: SessionDep) -> Challenge:
    return challenge_or_404(db, slug)


def get_published_challenge(slug: str, db: SessionDep) -> Challenge:
    return published_challenge_or_404(db, slug)


def organised_challenge_or_404(session: Session, scope: Scope, slug: str) -> Challenge:
    """A challenge the caller manages; one answer for missing and not theirs, so drafts of
    another event cannot be probed by name."""
    challenge = service.challenge_by_slug(session, slug)
    if challenge is None or challenge.id is None or not roles.manages(session, scope, challenge):
        raise HTTPException(404, _("You run no challenge called “{slug}”.").format(slug=slug))
    return challenge


def get_organised_challenge(
    slug: str, db: SessionDep, user: CurrentUser, scope: ScopeDep
) -> Challenge:
    return organised_challenge_or_404(db, scope, slug)


AnyChallenge = Annotated[Challenge, Depends(get_any_challenge)]
OrganisedChallenge = Annotated[Challenge, Depends(get_organised_challenge)]
PublishedChallenge = Annotated[Challenge, Depends(get_published_challenge)]


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
