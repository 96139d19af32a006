"""A thread that tells the database, every few seconds, that a judging run is alive.

The sweeper treats silence as death (SIGKILL, lost machine), so the heartbeat
goes to the database, the source of truth, not to Redis. What it touches is
given as a function, so participants' submissions and rescore items share it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)

Beat = Callable[[Session], bool]
"""Touch the row's heartbeat; False when the run is no longer ours (cancelled, taken over)."""


class Heartbeat:
    def __init__(self, engine: Engine, beat: Beat, interval_s: float, what: str) -> None:
        self._engine = engine
        self._beat_once = beat
        self._what = what
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="marea-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                with Session(self._engine) as session:
                    alive = self._beat_once(session)
                    session.commit()
                if not alive:
                    return  # cancelled or taken over: nothing left to keep alive
            except Exception as exc:  # a missed beat is survivable; the next may succeed
                log.warning("heartbeat for %s failed: %s", self._what, exc)
