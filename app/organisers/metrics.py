"""The operators' figures: submissions by status, the queue, workers, submissions per phase.

One `collect` feeds both the organisers' dashboard and /metrics, so the page and
Prometheus can never disagree. Redis being down is a figure too (`redis_problem`),
not an exception: the dashboard is most needed exactly when something is broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import redis
from rq import Queue
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Phase
from app.core.hosts import read_worker_health
from app.submissions.models import Status, Submission

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class WorkerHost:
    host: str
    healthy: bool
    message: str
    processes: int
    at: float


@dataclass(frozen=True)
class PhaseTotal:
    challenge: str
    phase: str
    count: int


@dataclass
class Figures:
    by_status: dict[str, int]
    waiting_in_database: int
    waiting_in_redis: int
    workers: list[WorkerHost] = field(default_factory=list)
    per_phase: list[PhaseTotal] = field(default_factory=list)
    redis_problem: str | None = None

    @property
    def queue_length(self) -> int:
        """Jobs in Redis plus queued submissions not yet handed to Redis (no double count)."""
        return self.waiting_in_database + self.waiting_in_redis

    def workers_by_health(self) -> dict[bool, int]:
        counts = {True: 0, False: 0}
        for worker in self.workers:
            counts[worker.healthy] += 1
        return counts


def status_counts(session: Session, only: set[int] | None = None) -> dict[str, int]:
    """Submissions by status, of the challenges `only` names (all when None)."""
    stmt = select(Submission.status, func.count()).group_by(col(Submission.status))
    if only is not None:
        stmt = stmt.where(col(Submission.challenge_id).in_(only))
    rows = session.exec(stmt).all()
    counts = {status.value: 0 for status in Status}
    for status, count in rows:
        counts[str(status)] = int(count)
    return counts


def undispatched(session: Session) -> int:
    """Queued submissions the dispatcher has not yet put in Redis (those have a job id)."""
    return int(
        session.exec(
            select(func.count()).where(
                col(Submission.status) == Status.queued, col(Submission.job_id).is_(None)
            )
        ).one()
    )


def phase_totals(session: Session, only: set[int] | None = None) -> list[PhaseTotal]:
    stmt = (
        select(Challenge.slug, Phase.name, func.count(col(Submission.id)))
        .join(Phase, col(Phase.challenge_id) == col(Challenge.id))
        .join(Submission, col(Submission.phase_id) == col(Phase.id), isouter=True)
        .group_by(col(Challenge.slug), col(Phase.name))
        .order_by(col(Challenge.slug), col(Phase.name))
    )
    if only is not None:
        stmt = stmt.where(col(Challenge.id).in_(only))
    rows = session.exec(stmt).all()
    return [PhaseTotal(slug, name, int(count)) for slug, name, count in rows]


def _worker(raw: dict[str, object]) -> WorkerHost:
    processes = raw.get("processes", 0)
    at = raw.get("at", 0.0)
    return WorkerHost(
        host=str(raw.get("host", "?")),
        healthy=raw.get("healthy") is True,
        message=str(raw.get("message", "")),
        processes=int(processes) if isinstance(processes, int | float) else 0,
        at=float(at) if isinstance(at, int | float) else 0.0,
    )


def collect(
    session: Session, client: redis.Redis, queue: Queue, only: set[int] | None = None
) -> Figures:
    """`only` limits the submission figures to some challenges (an organiser's dashboard);
    the queue and the worker hosts are the site's, shared by every event, and shown whole."""
    figures = Figures(
        by_status=status_counts(session, only),
        waiting_in_database=undispatched(session),
        waiting_in_redis=0,
        per_phase=phase_totals(session, only),
    )
    try:
        figures.waiting_in_redis = int(queue.count)
        figures.workers = sorted(
            (_worker(raw) for raw in read_worker_health(client)), key=lambda w: w.host
        )
    except (redis.RedisError, ValueError) as exc:
        figures.redis_problem = (
            f"Redis did not answer ({exc}); queue and worker figures are missing."
        )
    return figures


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, kind: str, help_text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]


def exposition(figures: Figures) -> str:
    """Prometheus' text format 0.0.4: HELP and TYPE before each family, one sample a line."""
    health = figures.workers_by_health()
    lines = [
        *_family(
            "marea_submissions",
            "gauge",
            "Submissions by their current status.",
            (
                f'marea_submissions{{status="{_label(s)}"}} {n}'
                for s, n in sorted(figures.by_status.items())
            ),
        ),
        *_family(
            "marea_queue_length",
            "gauge",
            "Submissions waiting: jobs in the RQ queue plus queued ones not yet dispatched.",
            [f"marea_queue_length {figures.queue_length}"],
        ),
        *_family(
            "marea_workers",
            "gauge",
            "Worker hosts that reported their health recently, by health.",
            [
                f'marea_workers{{healthy="true"}} {health[True]}',
                f'marea_workers{{healthy="false"}} {health[False]}',
            ],
        ),
        *_family(
            "marea_redis_up",
            "gauge",
            "1 when Redis answered while these figures were collected.",
            [f"marea_redis_up {0 if figures.redis_problem else 1}"],
        ),
        *_family(
            "marea_submissions_total",
            "counter",
            "Submissions ever made to each phase (cancelled and failed included).",
            (
                f'marea_submissions_total{{challenge="{_label(t.challenge)}",'
                f'phase="{_label(t.phase)}"}} {t.count}'
                for t in figures.per_phase
            ),
        ),
    ]
    return "\n".join(lines) + "\n"
