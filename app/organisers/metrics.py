"""The operators' figures: submissions by status, the queue, workers, compute pools,
submissions per phase.

One `collect` feeds both the organisers' dashboard and /metrics, so the page and
Prometheus can never disagree. Redis being down is a figure too (`redis_problem`),
not an exception: the dashboard is most needed exactly when something is broken.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import redis
from rq import Queue
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Phase
from app.core.hosts import read_worker_health
from app.core.settings import DEFAULT_POOL, pool_queue_name
from app.submissions.models import Status, Submission

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class WorkerHost:
    host: str
    healthy: bool
    message: str
    processes: int
    at: float
    pools: tuple[str, ...] = (DEFAULT_POOL,)
    cpus: int | None = None  # the capacity the host announced (None: not announced)
    memory_mb: int | None = None
    gpus: int | None = None


@dataclass
class PoolFigures:
    """One compute pool, site-wide: what waits for it, what runs in it, who serves it."""

    name: str
    waiting: int = 0  # queued submissions, in the database or in the pool's queue
    running: int = 0
    hosts: list[WorkerHost] = field(default_factory=list)


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
    pools: list[PoolFigures] = field(default_factory=list)
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


def pool_counts(session: Session) -> dict[str, tuple[int, int]]:
    """(queued, running) submissions per compute pool, site-wide (pools are shared)."""
    rows = session.exec(
        select(Phase.pool, Submission.status, func.count())
        .join(Phase, col(Phase.id) == col(Submission.phase_id))
        .where(col(Submission.status).in_((Status.queued, Status.running)))
        .group_by(col(Phase.pool), col(Submission.status))
    ).all()
    counts: dict[str, tuple[int, int]] = {}
    for pool, status, count in rows:
        queued, running = counts.get(pool, (0, 0))
        if status == Status.queued:
            queued += int(count)
        else:
            running += int(count)
        counts[pool] = (queued, running)
    return counts


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _worker(raw: dict[str, object]) -> WorkerHost:
    processes = raw.get("processes", 0)
    at = raw.get("at", 0.0)
    pools = raw.get("pools")
    capacity = raw.get("capacity")
    announced = capacity if isinstance(capacity, dict) else {}
    return WorkerHost(
        host=str(raw.get("host", "?")),
        healthy=raw.get("healthy") is True,
        message=str(raw.get("message", "")),
        processes=int(processes) if isinstance(processes, int | float) else 0,
        at=float(at) if isinstance(at, int | float) else 0.0,
        # A host from before pools announced none: it served the default pool.
        pools=tuple(str(p) for p in pools)
        if isinstance(pools, list) and pools
        else (DEFAULT_POOL,),
        cpus=_count(announced.get("cpus")),
        memory_mb=_count(announced.get("memory_mb")),
        gpus=_count(announced.get("gpus")),
    )


def _pools(
    declared: Collection[str], counts: dict[str, tuple[int, int]], hosts: list[WorkerHost]
) -> list[PoolFigures]:
    names = {DEFAULT_POOL, *declared, *counts, *(p for h in hosts for p in h.pools)}
    pools = []
    for name in sorted(names):
        waiting, running = counts.get(name, (0, 0))
        serving = [h for h in hosts if name in h.pools]
        pools.append(PoolFigures(name, waiting, running, serving))
    return pools


def collect(
    session: Session,
    client: redis.Redis,
    queue: Queue,
    only: set[int] | None = None,
    declared_pools: Collection[str] = (),
) -> Figures:
    """`only` limits the submission figures to some challenges (an organiser's dashboard);
    the queue, the compute pools and the worker hosts are the site's, shared by every event,
    and shown whole. `queue` is the default pool's; `declared_pools` the site's MAREA_POOLS."""
    counts = pool_counts(session)
    figures = Figures(
        by_status=status_counts(session, only),
        waiting_in_database=undispatched(session),
        waiting_in_redis=0,
        per_phase=phase_totals(session, only),
        pools=_pools(declared_pools, counts, []),
    )
    try:
        figures.workers = sorted(
            (_worker(raw) for raw in read_worker_health(client)), key=lambda w: w.host
        )
        figures.pools = _pools(declared_pools, counts, figures.workers)
        figures.waiting_in_redis = sum(
            int(Queue(pool_queue_name(queue.name, p.name), connection=queue.connection).count)
            for p in figures.pools
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
