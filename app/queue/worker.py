"""`marea worker`: RQ worker processes plus a supervisor that keeps the host honest.

The supervisor (the parent process) checks the Docker engine every few
seconds. While the engine is unreachable it stops its RQ workers, so no job
is taken that could only fail (fail closed): submissions simply wait in the
database. It publishes the host's health to Redis for /healthz and the
dashboard, runs the sweeper, and removes sandbox containers a killed worker
left behind. One more process sends mail (the mail queue only): it needs no
Docker, so it runs whatever the engine's health, and a slow SMTP server never
takes a judging slot.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from types import FrameType

import redis
from rq import Worker
from sqlalchemy.orm import configure_mappers

import sandbox
from app.core.hosts import HEALTH_KEY, HostHealth, host_capacity, publish_health
from app.core.redis import redis_client
from app.core.runtime import open_runtime
from app.core.settings import DEFAULT_POOL, Settings
from app.queue.connection import judge_queue, mail_queue, rescore_queue
from app.queue.sweeper import sweep

log = logging.getLogger(__name__)


def _work(
    settings: Settings, name: str, mail: bool = False, pools: tuple[str, ...] = (DEFAULT_POOL,)
) -> None:
    """Body of one RQ worker process: judging `pools` (and rescoring, with the default pool),
    or with `mail` sending mail."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    client = redis_client(settings)
    if mail:
        import app.queue.mail_jobs

        configure_mappers()
        mailer = Worker([mail_queue(settings, client)], connection=client, name=name)
        mailer.work(with_scheduler=False, logging_level="INFO")
        return
    queues = [judge_queue(settings, client, pool) for pool in pools]
    if DEFAULT_POOL in pools:  # rescoring needs no special hardware: the default pool's work
        queues.append(rescore_queue(settings, client))
    # Every job runs in a work horse forked from here: configured mappers (and the app's
    # modules imported) once now, rather than in each fork, took the claim from about 66 to
    # 28 ms per submission (bench/queue_bench.py --trace).
    import app.models
    import app.queue.jobs
    import app.queue.rescore_jobs  # noqa: F401

    configure_mappers()
    worker = Worker(queues, connection=client, name=name)  # in priority order
    worker.work(with_scheduler=False, logging_level="WARNING")


class Supervisor:
    def __init__(
        self, settings: Settings, processes: int, pools: tuple[str, ...] = (DEFAULT_POOL,)
    ) -> None:
        self.settings = settings
        self.processes = processes
        self.pools = tuple(dict.fromkeys(pools)) or (DEFAULT_POOL,)
        self.capacity = host_capacity(settings.worker_gpus)
        self.host = f"{socket.gethostname()}-{os.getpid()}"
        self.children: list[multiprocessing.process.BaseProcess] = []
        self.mailer: multiprocessing.process.BaseProcess | None = None
        self.stopping = False
        self.runtime = open_runtime(settings)
        self.client = redis_client(settings)
        self.queue = judge_queue(settings, self.client)

    def _start_children(self) -> None:
        ctx = multiprocessing.get_context("fork")
        while len(self.children) < self.processes:
            name = f"{self.host}.{len(self.children)}.{int(time.time() * 1000) % 100000}"
            child = ctx.Process(
                target=_work,
                args=(self.settings, name, False, self.pools),
                name=name,
                daemon=False,
            )
            child.start()
            self.children.append(child)
            log.info("started worker %s (pid %s)", name, child.pid)

    def _keep_mailer(self) -> None:
        """The mail process runs whatever the Docker engine's health (it needs no sandbox)."""
        if self.mailer is not None and self.mailer.is_alive():
            return
        if self.mailer is not None:
            log.warning("mail worker exited with %s; starting a new one", self.mailer.exitcode)
        name = f"{self.host}.mail.{int(time.time() * 1000) % 100000}"
        ctx = multiprocessing.get_context("fork")
        self.mailer = ctx.Process(target=_work, args=(self.settings, name, True), name=name)
        self.mailer.start()
        log.info("started mail worker %s (pid %s)", name, self.mailer.pid)

    def _stop_mailer(self) -> None:
        mailer, self.mailer = self.mailer, None
        if mailer is None:
            return
        if mailer.is_alive() and mailer.pid:
            os.kill(mailer.pid, signal.SIGTERM)
        mailer.join(10)
        if mailer.is_alive():
            mailer.kill()
            mailer.join(1)

    def _stop_children(self) -> None:
        for child in self.children:
            if child.is_alive() and child.pid:
                os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                child.kill()
                child.join(1)
        self.children = []

    def _reap(self) -> None:
        alive = [c for c in self.children if c.is_alive()]
        for dead in set(self.children) - set(alive):
            log.warning("worker %s exited with %s; starting a new one", dead.name, dead.exitcode)
        self.children = alive

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def tick(self) -> HostHealth:
        ok, message = sandbox.engine_healthy()
        if ok and (store_problem := self.runtime.store.problem()) is not None:
            # Without its files a job would fail for the host's sake, not the team's: take none.
            ok, message = False, store_problem
        health = HostHealth(ok, message)
        self._reap()
        self._keep_mailer()
        if ok:
            self._start_children()
            sandbox.cleanup_stale(self.settings.sandbox_max_age_s)
        elif self.children:
            log.error("host unhealthy (%s): stopping workers until it is back", message)
            self._stop_children()
        ttl = int(self.settings.sweep_interval_s * 3) + 5
        publish_health(
            self.client,
            self.host,
            health,
            len(self.children),
            ttl,
            pools=self.pools,
            capacity=self.capacity,
        )
        sweep(self.runtime.engine, self.client, self.queue, self.settings)
        return health

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            while not self.stopping:
                try:
                    self.tick()
                except Exception:  # the supervisor must outlive any one bad tick
                    log.exception("worker supervisor tick failed; retrying")
                slept = 0.0
                while slept < self.settings.sweep_interval_s and not self.stopping:
                    time.sleep(0.2)
                    slept += 0.2
        finally:
            self._stop_children()
            self._stop_mailer()
            with contextlib.suppress(redis.RedisError):
                self.client.delete(HEALTH_KEY.format(host=self.host))
