"""Freezing the public board at a moment, and revealing the private board at the end.

The organisers' actions only; what each reader then sees is decided in
`app.leaderboard.boards`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Challenge
from app.db import utcnow
from app.organisers.audit import record


def freeze(session: Session, actor: User, challenge: Challenge, at: datetime | None = None) -> None:
    challenge.frozen_at = at or utcnow()
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(
        session,
        actor,
        challenge.id,
        "board.freeze",
        challenge.slug,
        {"frozen_at": challenge.frozen_at.isoformat()},
    )


def unfreeze(session: Session, actor: User, challenge: Challenge) -> None:
    if challenge.frozen_at is None:
        return
    previous = challenge.frozen_at.isoformat()
    challenge.frozen_at = None
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(session, actor, challenge.id, "board.unfreeze", challenge.slug, {"was": previous})


def reveal(session: Session, actor: User, challenge: Challenge, revealed: bool = True) -> None:
    """Show (or hide again) the private split; the API and pages check `private_revealed`."""
    if challenge.private_revealed == revealed:
        return
    challenge.private_revealed = revealed
    challenge.updated_at = utcnow()
    session.add(challenge)
    record(
        session, actor, challenge.id, "board.reveal" if revealed else "board.hide", challenge.slug
    )
