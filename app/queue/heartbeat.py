"""A thread that tells the database, every few seconds, that a judged submission is alive.

The sweeper treats silence as death (SIGKILL, lost machine), so the heartbeat
goes to the database, the source of truth, not to Redis.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.submissions.lifecycle import heartbeat

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, engine: Engine, submission_id: int, attempt: int, interval_s: float) -> None:
        self._engine = engine
        self._submission_id = submission_id
        self._attempt = attempt
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
                    alive = heartbeat(session, self._submission_id, self._attempt)
                    session.commit()
                if not alive:
                    return  # cancelled or taken over: nothing left to keep alive
            except Exception as exc:  # a missed beat is survivable; the next may succeed
                log.warning("heartbeat for submission %s failed: %s", self._submission_id, exc)
