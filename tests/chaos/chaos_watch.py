"""Watching a private stack's submissions while it is broken, and the faults that break it.

The watcher reads the database (the source of truth) every half second from its own thread
and notes when each submission was first seen final; a database that is restarting just
makes a poll fail, and the next one tries again. Each fault returns what happened, for the
figures in docs/reliability.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from tests.chaos.private_stack import PrivateStack
from tests.chaos.stack_control import kill_all, parent_of, wait_until

FINAL = ("scored", "failed", "cancelled")


@dataclass
class FaultRecord:
    name: str
    at_s: float  # since the first upload
    in_flight: int  # submissions not final when it struck
    running: list[int]  # submissions it interrupted (for restarts: those seen running)
    action_s: float  # how long the fault itself took (a restart, a kill)
    detail: str = ""
    resumed_s: float | None = None  # until a submission was next seen final
    victims_final_s: float | None = None  # until every submission it interrupted was final
    done_at: float = 0.0  # monotonic clock when the fault was over


@dataclass
class Watcher:
    stack: PrivateStack
    ids: list[int]
    started: float = field(default_factory=time.monotonic)
    status: dict[int, str] = field(default_factory=dict)
    final_at: dict[int, float] = field(default_factory=dict)
    failed_polls: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chaos-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        query = text("SELECT id, status FROM submission WHERE id = ANY(:ids)")
        while not self._stop.wait(0.5):
            try:
                with self.stack.engine.connect() as conn:
                    rows = conn.execute(query, {"ids": self.ids}).all()
            except Exception:  # PostgreSQL restarting: try again on the next tick
                self.failed_polls += 1
                continue
            now = time.monotonic()
            with self._lock:
                for submission_id, status in rows:
                    self.status[submission_id] = status
                    if status in FINAL and submission_id not in self.final_at:
                        self.final_at[submission_id] = now

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def final_count(self) -> int:
        with self._lock:
            return len(self.final_at)

    def running(self) -> list[int]:
        with self._lock:
            return sorted(i for i, s in self.status.items() if s == "running")

    def first_final_after(self, moment: float) -> float | None:
        with self._lock:
            later = [t for t in self.final_at.values() if t > moment]
        return min(later) - moment if later else None

    def all_final_after(self, ids: list[int], moment: float) -> float | None:
        with self._lock:
            if not all(i in self.final_at for i in ids):
                return None
            return max((self.final_at[i] for i in ids), default=moment) - moment

    def wait_final(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.final_count() >= count:
                return True
            time.sleep(0.2)
        return False


Struck = tuple[str, list[int] | None]
"""What a fault did, and the submissions it hit (None: those the watcher saw running)."""
Fault = Callable[[PrivateStack], Struck]


def _judging(stack: PrivateStack) -> list[tuple[int, int]]:
    """(work horse pid, submission id) of every sandbox of this stack running right now.

    The sandbox labels each container with the process that made it (`marea.owner`) and the
    job with its submission, so a kill lands while a container runs (the case where a
    leftover could outlive its run) and names the submission it interrupts.
    """
    found = []
    for container in stack.containers():
        labels = container.get("Labels") or {}
        pid = labels.get("marea.owner", "").rpartition("/")[2]
        submission = labels.get("marea.submission", "")
        if container.get("State") != "running" or not (pid.isdigit() and submission.isdigit()):
            continue
        if parent_of(int(pid)):
            found.append((int(pid), int(submission)))
    return found


def _wait_judging(stack: PrivateStack, what: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def judging() -> bool:
        found[:] = _judging(stack)
        return bool(found)

    wait_until(judging, 60, what, poll=0.05)
    return found


def kill_horse(stack: PrivateStack) -> Struck:
    """SIGKILL the process judging a submission (RQ's work horse); its RQ worker lives on."""
    horse, submission = _wait_judging(stack, "a work horse running a sandbox to kill")[0]
    kill_all([horse])
    return f"work horse {horse}", [submission]


def kill_worker(stack: PrivateStack) -> Struck:
    """SIGKILL one RQ worker process and its work horse; the supervisor must start another."""
    horse, submission = _wait_judging(stack, "a busy RQ worker to kill")[0]
    rq_worker = parent_of(horse)
    kill_all([p for p in (rq_worker, horse) if p])
    return f"RQ worker {rq_worker} and its work horse {horse}", [submission]


def kill_host(stack: PrivateStack) -> Struck:
    """SIGKILL `marea worker` and everything below it; the restart loop (systemd) starts it."""
    judging = _wait_judging(stack, "a busy worker host to kill")
    assert stack.site.worker is not None
    pid = stack.site.worker.pid
    stack.site.worker.kill_tree()
    return f"supervisor {pid} and its workers", sorted({s for _, s in judging})


def restart_redis(stack: PrivateStack) -> Struck:
    """Stop Redis (no persistence: every job is lost), leave it down 2 s, start it again."""
    stack.redis.restart(down_s=2.0)
    return "redis-server restarted empty", None


def restart_postgres(stack: PrivateStack) -> Struck:
    """`pg_ctl restart -m fast`: every connection of the site and the workers is cut."""
    stack.postgres.restart()
    return "pg_ctl restart -m fast", None


def restart_web(stack: PrivateStack) -> Struck:
    """SIGTERM `marea serve` and start it again (a deploy)."""
    took = stack.site.restart_web()
    return f"healthy again after {took:.1f} s", None


FAULTS: dict[str, Fault] = {
    "kill_horse": kill_horse,
    "kill_worker": kill_worker,
    "kill_host": kill_host,
    "restart_redis": restart_redis,
    "restart_postgres": restart_postgres,
    "restart_web": restart_web,
}


def strike(stack: PrivateStack, watcher: Watcher, name: str) -> FaultRecord:
    in_flight = len(watcher.ids) - watcher.final_count()
    running = watcher.running()
    at = watcher.elapsed()
    began = time.monotonic()
    detail, hit = FAULTS[name](stack)
    done = time.monotonic()
    return FaultRecord(
        name, round(at, 1), in_flight, running if hit is None else hit, round(done - began, 1),
        detail, done_at=done,
    )  # fmt: skip


def settle(records: list[FaultRecord], watcher: Watcher) -> None:
    """Fill in how long judging took to come back after each fault."""
    for record in records:
        resumed = watcher.first_final_after(record.done_at)
        record.resumed_s = None if resumed is None else round(resumed, 1)
        victims = watcher.all_final_after(record.running, record.done_at)
        record.victims_final_s = None if victims is None else round(victims, 1)


def diagnose(stack: PrivateStack, ids: list[int]) -> str:
    """What the database and Redis say about submissions that did not finish, for the failure."""
    import redis
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    lines = []
    client = redis.Redis.from_url(stack.redis.url(0))
    try:
        with stack.engine.connect() as conn:
            for submission_id in ids:
                row = conn.execute(
                    text(
                        "SELECT status, job_id, attempts, worker, heartbeat_at, team_id "
                        "FROM submission WHERE id = :i"
                    ),
                    {"i": submission_id},
                ).one()
                events = conn.execute(
                    text(
                        "SELECT at, status, detail FROM submissionevent "
                        "WHERE submission_id = :i ORDER BY id"
                    ),
                    {"i": submission_id},
                ).all()
                job = "no job id"
                if row.job_id:
                    try:
                        found = Job.fetch(row.job_id, connection=client)
                        job = f"rq status {found.get_status()}, worker {found.worker_name}"
                    except NoSuchJobError:
                        job = "not in Redis"
                lines.append(f"submission {submission_id}: {tuple(row)}; job: {job}")
                lines += [f"    {e.at:%H:%M:%S.%f} {e.status} {e.detail}" for e in events]
            activity = conn.execute(
                text(
                    "SELECT pid, state, wait_event_type, left(query, 120) FROM pg_stat_activity "
                    "WHERE datname = 'marea'"
                )
            ).all()
            lines += [f"  pg: {tuple(a)}" for a in activity]
        lines.append(
            f"  redis queue lengths: {[(k, client.llen(k)) for k in client.keys('rq:queue:*')]}"
        )
        lines.append(
            f"  worker processes: {stack.site.rq_workers()} horses {stack.site.work_horses()}"
        )
    except Exception as exc:  # diagnosis must never hide the failure it explains
        lines.append(f"(diagnosis failed: {exc!r})")
    finally:
        client.close()
    return "\n".join(lines)
