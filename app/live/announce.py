"""Telling every web process that what people may see of a challenge changed.

Every organiser action that changes a challenge (publish, phase dates, a new
bundle, freeze, reveal, approval, disqualification, an applied rescore set...)
writes an audit event in its own transaction. That makes the audit event the
one hook that cannot be forgotten: inserting one marks its challenge on the
session, and once the transaction *commits* one `challenge` event per marked
challenge goes out on Redis. Each web process then drops what it kept of that
challenge (its state and every cached board; see `app.live.states` and
`app.leaderboard.cache`), so no cache outlives a change of who may see what.
A rolled-back action announces nothing.

Publishing needs a Redis client, which a session does not carry: the entry
points (`create_app`, `open_runtime`) register one per engine with `install`.
Sessions of an engine with no client registered (unit tests of services)
announce nothing; the web processes' short state TTL is the backstop.
"""

from __future__ import annotations

import weakref
from typing import Any

import redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, object_session

from app.audit.models import AuditEvent
from app.live.events import challenge_channel, publish

PENDING = "marea.changed_challenges"
CHALLENGE_EVENT = "challenge"

_clients: weakref.WeakKeyDictionary[Engine, redis.Redis] = weakref.WeakKeyDictionary()


def install(engine: Engine, client: redis.Redis) -> None:
    """Announce the challenge changes committed through `engine` on `client`."""
    _clients[engine] = client


def mark_changed(session: Session, challenge_id: int | None) -> None:
    """Announce `challenge_id` when `session` commits (for changes that write no audit event)."""
    if challenge_id is not None:
        session.info.setdefault(PENDING, set()).add(challenge_id)


def challenge_payload(challenge_id: int) -> dict[str, Any]:
    return {"type": CHALLENGE_EVENT, "challenge_id": challenge_id}


def announce(client: redis.Redis, challenge_id: int) -> None:
    publish(client, [challenge_channel(challenge_id)], challenge_payload(challenge_id))


@event.listens_for(AuditEvent, "after_insert")
def _audited(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    session = object_session(target)
    if session is not None:
        mark_changed(session, target.challenge_id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    changed: set[int] | None = session.info.pop(PENDING, None)
    if not changed:
        return
    bind = session.bind
    client = _clients.get(bind) if isinstance(bind, Engine) else None
    if client is None:
        return
    for challenge_id in sorted(changed):
        announce(client, challenge_id)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)
