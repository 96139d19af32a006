"""What each web process knows of a challenge's state, kept fresh by events.

A board request must know, before anything else, whether the challenge is
published, frozen, revealed, and which phase is meant, because that decides
whether it may be answered at all and from which cache entry. Asking the
database for that on every request costs a thread-pool hop and a query on the
hottest route; here it is answered on the event loop from a snapshot that:

- is dropped the moment a `challenge` event says an organiser changed the
  challenge (`app.live.announce`), so the next request waits for a fresh one;
- carries `stamp`, the id of the challenge's latest audit event, so a change
  whose event was lost is still seen by the next reload (every change of who
  may see what is audited), and board caches keyed by the stamp never serve
  a body built under an earlier state;
- is reloaded in the background after `ttl_s` (the request meanwhile gets the
  snapshot it has), and thrown away entirely when the hub reconnects to Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.audit.models import AuditEvent
from app.challenges.models import Challenge, Phase
from app.challenges.service import current_phase
from app.live.announce import CHALLENGE_EVENT

TTL_S = 5.0


@dataclass(frozen=True)
class PhaseState:
    id: int
    name: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ChallengeState:
    id: int
    slug: str
    published: bool
    private_revealed: bool
    frozen_at: datetime | None
    phases: tuple[PhaseState, ...]
    stamp: int  # the latest audit event's id: changes with every organiser action

    def phase(self, name: str | None) -> PhaseState | str:
        """The phase a reader means (default: the open one, else the first), or why there is none."""
        if not self.phases:
            return "This challenge has no phases."
        if name is None:
            return current_phase(self.phases) or self.phases[0]
        for phase in self.phases:
            if phase.name == name:
                return phase
        names = ", ".join(p.name for p in self.phases)
        return f"No phase {name!r} in this challenge; phases: {names}."


def load_state(session: Session, slug: str) -> ChallengeState | None:
    challenge = session.exec(select(Challenge).where(Challenge.slug == slug)).first()
    if challenge is None or challenge.id is None:
        return None
    phases = session.exec(
        select(Phase).where(Phase.challenge_id == challenge.id).order_by(col(Phase.position))
    ).all()
    stamp = session.exec(
        select(func.max(AuditEvent.id)).where(AuditEvent.challenge_id == challenge.id)
    ).one()
    return ChallengeState(
        id=challenge.id,
        slug=challenge.slug,
        published=challenge.published,
        private_revealed=challenge.private_revealed,
        frozen_at=challenge.frozen_at,
        phases=tuple(PhaseState(p.id, p.name, p.start, p.end) for p in phases if p.id is not None),
        stamp=int(stamp or 0),
    )


@dataclass
class _Held:
    loaded_at: float
    started: int  # the forget counter when its load started
    state: ChallengeState | None


class ChallengeStates:
    """Used from the event loop only (requests and hub callbacks), so it needs no locks."""

    def __init__(self, engine: Engine, ttl_s: float = TTL_S) -> None:
        self._engine = engine
        self._ttl = ttl_s
        self._held: dict[str, _Held] = {}
        self._loading: dict[str, asyncio.Task[ChallengeState | None]] = {}
        self._counter = 0  # bumped by every forget; a load that started before one is not kept
        self._on_change: list[Callable[[int], None]] = []

    def on_change(self, callback: Callable[[int], None]) -> None:
        """`callback(challenge_id)` when a challenge's snapshot is dropped or found changed."""
        self._on_change.append(callback)

    async def get(self, slug: str) -> ChallengeState | None:
        """The challenge's state (published or not), or None when no challenge has this slug."""
        held = self._held.get(slug)
        if held is not None and time.monotonic() - held.loaded_at < self._ttl:
            return held.state
        task = self._loading.get(slug)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load(slug))
            task.add_done_callback(_consume_error)
            self._loading[slug] = task
        if held is not None:
            return held.state  # the snapshot it has while a fresh one loads
        return await asyncio.shield(task)

    async def _load(self, slug: str) -> ChallengeState | None:
        started = self._counter
        try:
            state = await run_in_threadpool(self._read, slug)
        finally:
            self._loading.pop(slug, None)
        if started == self._counter:
            previous = self._held.get(slug)
            self._held[slug] = _Held(time.monotonic(), started, state)
            if previous is not None and previous.state is not None and previous.state != state:
                self._changed(previous.state.id)
        return state

    def _read(self, slug: str) -> ChallengeState | None:
        with Session(self._engine) as session:
            return load_state(session, slug)

    def forget(self, challenge_id: int) -> None:
        """An organiser changed the challenge: the next request waits for a fresh snapshot."""
        self._counter += 1
        for slug, held in list(self._held.items()):
            if held.state is None or held.state.id == challenge_id:
                del self._held[slug]  # unknown slugs too: the change may be its creation
        self._changed(challenge_id)

    def clear(self) -> None:
        """Events may have been missed (Redis reconnected): nothing held can be trusted."""
        self._counter += 1
        ids = {held.state.id for held in self._held.values() if held.state is not None}
        self._held.clear()
        for challenge_id in ids:
            self._changed(challenge_id)

    def on_event(self, _channel: str, payload: dict[str, Any]) -> None:
        if payload.get("type") == CHALLENGE_EVENT and isinstance(payload.get("challenge_id"), int):
            self.forget(payload["challenge_id"])

    def _changed(self, challenge_id: int) -> None:
        for callback in self._on_change:
            callback(challenge_id)


def _consume_error(task: asyncio.Task[ChallengeState | None]) -> None:
    """A failed background load is retried by the next request; don't log it as lost."""
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
