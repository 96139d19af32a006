"""A row that workers claim, keep alive and finish: every transition as a guarded UPDATE.

Participants' submissions and rescore items live in different tables but move the
same way (queued -> handed to a job -> running -> scored/failed, or back to
queued when a worker dies), and workers, the sweeper and the web process race on
them. Each transition names the state it expects (and, for a run, its attempt),
so only the first of the racers changes the row; the losers learn it from the
False they get back. Written once here, the rules cannot drift between the two
tables; what a table adds (the submissions' status history) is given as a hook.

The UPDATEs go through the ORM on the model class, not on its bare table, so an
object already loaded in the session sees the new state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from app.core.db import utcnow

S = TypeVar("S", bound=StrEnum)

History = Callable[[Session, int, str, str], None]
"""Write down that a row reached a state (row id, state, detail), in the same transaction."""

MESSAGE_MAX = 4000  # the length of the message column of both tables


def _no_history(session: Session, row_id: int, status: str, detail: str) -> None:
    """Tables without a status history have nothing to add to a transition."""


@dataclass(frozen=True)
class Claimable(Generic[S]):
    """A table whose rows are judged by queue jobs.

    `model` must have the columns id, status, job_id, attempts, worker, started_at,
    heartbeat_at, finished_at, failure and message, named so.
    """

    model: type[SQLModel]
    queued: S
    running: S
    failed: S
    history: History = _no_history

    def _column(self, name: str) -> Any:
        return col(getattr(self.model, name))

    def _update(self, session: Session, conditions: list[Any], values: dict[str, Any]) -> bool:
        result = session.execute(update(self.model).where(*conditions).values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def _of_run(self, row_id: int, attempt: int) -> list[Any]:
        """The row while this attempt holds it: a stale run (presumed dead) matches nothing."""
        return [
            self._column("id") == row_id,
            self._column("status") == self.running,
            self._column("attempts") == attempt,
        ]

    def mark_dispatched(self, session: Session, row_id: int, job_id: str) -> bool:
        """Remember which queue job carries the row; False when another dispatcher won."""
        return self._update(
            session,
            [
                self._column("id") == row_id,
                self._column("status") == self.queued,
                self._column("job_id").is_(None),
            ],
            {"job_id": job_id},
        )

    def claim(self, session: Session, row_id: int, job_id: str, worker: str) -> int | None:
        """queued -> running for this job; the attempt number, or None when it is not ours.

        The job id in the condition makes a duplicate delivery of an old job (or a job
        whose row was given to another one meanwhile) a no-op.
        """
        now = utcnow()
        claimed = self._update(
            session,
            [
                self._column("id") == row_id,
                self._column("status") == self.queued,
                self._column("job_id") == job_id,
            ],
            {
                "status": self.running,
                "attempts": self._column("attempts") + 1,
                "worker": worker,
                "started_at": now,
                "heartbeat_at": now,
            },
        )
        if not claimed:
            return None
        attempt = int(
            session.exec(select(self._column("attempts")).where(self._column("id") == row_id)).one()
        )
        self.history(session, row_id, self.running.value, f"attempt {attempt} on {worker}")
        return attempt

    def heartbeat(self, session: Session, row_id: int, attempt: int) -> bool:
        """False once the run is no longer this attempt's (cancelled, discarded, taken over)."""
        return self._update(session, self._of_run(row_id, attempt), {"heartbeat_at": utcnow()})

    def finish(
        self,
        session: Session,
        row_id: int,
        attempt: int,
        *,
        status: S,
        failure: str | None,
        message: str,
        values: dict[str, Any],
    ) -> bool:
        """running -> a final state for the attempt that holds it; a stale attempt writes nothing."""
        done = self._update(
            session,
            self._of_run(row_id, attempt),
            {
                "status": status,
                "failure": failure,
                "message": message[:MESSAGE_MAX],
                "finished_at": utcnow(),
                **values,
            },
        )
        if done:
            self.history(session, row_id, status.value, failure or "")
        return done

    def requeue(
        self, session: Session, row_id: int, *, expect: S, reason: str, attempt: int | None = None
    ) -> bool:
        """Back to queued (worker died, engine down, Redis lost the job) without losing anything."""
        conditions = [self._column("id") == row_id, self._column("status") == expect]
        if attempt is not None:
            conditions.append(self._column("attempts") == attempt)
        done = self._update(
            session,
            conditions,
            {"status": self.queued, "job_id": None, "worker": None, "heartbeat_at": None},
        )
        if done:
            self.history(session, row_id, self.queued.value, reason)
        return done

    def refund_attempt(self, session: Session, row_id: int) -> bool:
        """Take back the attempt a run used when the failure was nobody's (engine down)."""
        return self._update(
            session,
            [self._column("id") == row_id, self._column("attempts") > 0],
            {"attempts": self._column("attempts") - 1},
        )

    def fail_internal(
        self,
        session: Session,
        row_id: int,
        *,
        expect: S,
        message: str,
        message_i18n: dict[str, Any] | None = None,
    ) -> bool:
        """Give up after the retries: failed as an internal error, with a message for people
        (in English, and as the id and parameters each reader's language is rendered from)."""
        done = self._update(
            session,
            [self._column("id") == row_id, self._column("status") == expect],
            {
                "status": self.failed,
                "failure": "internal_error",
                "message": message[:MESSAGE_MAX],
                "message_i18n": message_i18n,
                "finished_at": utcnow(),
            },
        )
        if done:
            self.history(session, row_id, self.failed.value, "internal_error")
        return done

    def end(
        self, session: Session, row_id: int, *, expect: Collection[S], status: S, message: str
    ) -> bool:
        """Stop a row that is not finished (cancelled, skipped); a running job's write is refused."""
        done = self._update(
            session,
            [self._column("id") == row_id, self._column("status").in_(list(expect))],
            {"status": status, "message": message[:MESSAGE_MAX], "finished_at": utcnow()},
        )
        if done:
            self.history(session, row_id, status.value, message)
        return done

    def forget_job(self, session: Session, row_id: int, job_id: str) -> bool:
        """Redis lost the row's job: it waits to be sent again."""
        return self._update(
            session,
            [
                self._column("id") == row_id,
                self._column("job_id") == job_id,
                self._column("status") == self.queued,
            ],
            {"job_id": None},
        )

    def stale_runs(self, session: Session, cutoff: datetime) -> list[tuple[int, int]]:
        """(id, attempt) of the runs whose worker has been silent since before `cutoff`."""
        rows = session.exec(
            select(self._column("id"), self._column("attempts")).where(
                self._column("status") == self.running, self._column("heartbeat_at") < cutoff
            )
        ).all()
        return [(int(row_id), int(attempts)) for row_id, attempts in rows]

    def handed_over(self, session: Session) -> list[tuple[int, str]]:
        """(id, job id) of the rows waiting in Redis, to check that their job still exists."""
        rows = session.exec(
            select(self._column("id"), self._column("job_id")).where(
                self._column("status") == self.queued, self._column("job_id").is_not(None)
            )
        ).all()
        return [(int(row_id), str(job_id)) for row_id, job_id in rows]
