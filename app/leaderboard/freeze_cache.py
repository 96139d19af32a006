"""Whether a challenge's board is frozen, looked up at most once a second per process.

Every board request and every live event asks; a freeze set by an organiser
reaches all web processes within a second, without a query per request.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.challenges.models import Challenge

TTL_S = 1.0


class FreezeCache:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self._ttl = ttl_s
        self._values: dict[str, tuple[float, datetime | None]] = {}
        self._lock = threading.Lock()

    def frozen_at(self, engine: Engine, slug: str) -> datetime | None:
        hit = self._values.get(slug)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        with Session(engine) as session:
            value = session.exec(select(Challenge.frozen_at).where(Challenge.slug == slug)).first()
        with self._lock:
            self._values[slug] = (now, value)
        return value
