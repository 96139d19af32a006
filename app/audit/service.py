"""The audit log of organiser and judge actions, written in the action's own transaction.

Every action goes through `record` so the log cannot drift from what happened:
the event commits (or rolls back) together with the change it describes.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent


def record(
    session: Session,
    actor: User | None,
    challenge_id: int | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        challenge_id=challenge_id,
        action=action,
        target=target[:255],
        detail=dict(detail or {}),
    )
    session.add(event)
    return event


def events_for(
    session: Session, challenge_id: int, limit: int = 500
) -> list[tuple[AuditEvent, str | None]]:
    """The newest events first, each with the actor's name (None for the CLI or a worker)."""
    rows = session.exec(
        select(AuditEvent, User)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(AuditEvent.challenge_id == challenge_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    return [(event, user.name if user is not None else None) for event, user in rows]


def events_for_event(
    session: Session, slug: str, limit: int = 500
) -> list[tuple[AuditEvent, str | None]]:
    """An event's own log (loads, registrations, check-in, results, roles over it), newest
    first: rows with no challenge, told apart by their target or, for roles, their detail."""
    rows = session.exec(
        select(AuditEvent, User)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(col(AuditEvent.challenge_id).is_(None))
        .where(
            col(AuditEvent.target).in_((f"event:{slug}", slug))
            | col(AuditEvent.action).startswith("role.")
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ).all()
    found: list[tuple[AuditEvent, str | None]] = [
        (event, user.name if user is not None else None)
        for event, user in rows
        if not event.action.startswith("role.") or event.detail.get("event") == slug
    ]
    return [
        (event, name)
        for event, name in found
        if event.action.startswith(("event.", "registration.", "role.", "announcement."))
    ][:limit]
