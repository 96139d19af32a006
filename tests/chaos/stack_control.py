"""A private Marea stack the chaos and load tests may break: its own Redis, PostgreSQL, site, workers.

The machine's shared Redis (6379) and PostgreSQL (5432) serve other suites running at the same
time, so nothing here touches them: a `redis-server` and a PostgreSQL cluster are started on
free ports in a temporary directory, and the site (`marea serve`) and the workers
(`marea worker`) run as real processes pointed at them, as an operator would run them. Each
part can be stopped, restarted or killed on its own, which is what the tests are for.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from tests.process_helpers import descendants

ROOT = Path(__file__).resolve().parents[2]
MAREA = str(Path(sys.executable).with_name("marea"))
STARTUP_TIMEOUT_S = 60.0


class StackError(RuntimeError):
    """A part of the private stack would not start or stop; the message says which and why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.2
) -> float:
    """Seconds it took for `predicate` to hold; StackError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            if predicate():
                return time.monotonic() - started
        time.sleep(poll)
    raise StackError(f"timed out after {timeout:.0f} s waiting for {what}")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def parent_of(pid: int) -> int | None:
    """The parent of a live, non-zombie process; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[1])


def kill_all(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


@dataclass
class RedisServer:
    """Our own redis-server, without persistence: a restart loses every job, as in production
    setups that run Redis as a pure cache."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StackError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "redis.log").open("ab")
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "no"]
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        try:
            wait_until(lambda: bool(client.ping()), 20, f"redis-server on port {self.port}")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()
        self.restarts += 1


def _postgres_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not found:
        raise StackError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    return Path(found[-1]).parent


@dataclass
class PostgresCluster:
    """Our own PostgreSQL cluster (initdb + pg_ctl) in a temporary directory.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
    and lives under the system temp dir (pytest's own temp dirs are private to root).
    """

    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="marea-chaos-pg-")))
    restarts: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "marea") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", "postgres", "--", *argv]

    def _run(self, argv: list[str], timeout: float = 120) -> None:
        # Output goes to a file, not a pipe: a server started by pg_ctl would hold a pipe open.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(
                self._as_owner(argv), stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                check=False,
            )  # fmt: skip
            out.seek(0)
            said = out.read().decode(errors="replace")
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise StackError(f"{' '.join(argv)} failed:\n{said}\n{tail}")

    def init(self) -> None:
        bindir = _postgres_bin()
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        argv = [str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres"]
        self._run([*argv, "--auth=trust", "-E", "UTF8", "--no-sync"])
        self.start()
        self._run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "marea"])

    def _ctl(self, *args: str) -> None:
        self._run([str(_postgres_bin() / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args])

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c max_connections=300"
        self._ctl("-l", str(self.log), "-o", options, "start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every open connection is cut, as in a failover."""
        self._ctl("-l", str(self.log), "-m", "fast", "restart")
        self.restarts += 1

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(StackError, subprocess.TimeoutExpired):
                self._ctl("-m", "immediate", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Service:
    """One `marea ...` process in its own process group, its output appended to a log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n==== start {self.starts + 1} at {time.time():.1f}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the group, SIGKILL whatever is left after `timeout`."""
        if self.process is None:
            return
        tree = [self.process.pid, *descendants(self.process.pid)]
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        kill_all([pid for pid in tree if _exists(pid)])  # RQ's work horses leave the group

    def kill_tree(self) -> None:
        """SIGKILL the process and everything below it, as the OOM killer or a lost host would."""
        assert self.process is not None
        kill_all([self.process.pid, *descendants(self.process.pid)])
        self.process.wait(timeout=10)

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.log.name} ---\n{text[-chars:]}"


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Keeper:
    """Restarts a service whenever it exits, as systemd's Restart=always would."""

    def __init__(self, service: Service, delay_s: float = 1.0) -> None:
        self.service = service
        self.delay_s = delay_s
        self.restarts = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._watch, name=f"keep-{service.name}", daemon=True
        )

    def start(self) -> None:
        self.service.start()
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.3):
            with self._lock:
                if self._stop.is_set() or self.service.alive():
                    continue
            time.sleep(self.delay_s)
            with self._lock:
                if not self._stop.is_set() and not self.service.alive():
                    self.service.start()
                    self.restarts += 1

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
        self._thread.join(timeout=5)
        self.service.stop()


@dataclass
class Site:
    """The web process and the worker host of one private stack."""

    env: dict[str, str]
    logs: Path
    port: int = field(default_factory=free_port)
    web: Service | None = None
    worker: Service | None = None
    keeper: Keeper | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_web(self) -> None:
        if self.web is None:
            argv = [MAREA, "serve", "--port", str(self.port)]
            self.web = Service("web", argv, self.env, self.logs / "web.log")
        self.web.start()
        self.wait_web()

    def wait_web(self, timeout: float = STARTUP_TIMEOUT_S) -> float:
        """Seconds until /healthz says every component is up."""
        assert self.web is not None
        web = self.web

        def healthy() -> bool:
            if not web.alive():
                raise StackError(f"`marea serve` exited\n{web.tail()}")
            return httpx.get(f"{self.base_url}/healthz", timeout=3).status_code == 200

        try:
            return wait_until(healthy, timeout, "the site's /healthz", poll=0.2)
        except StackError as exc:
            raise StackError(f"{exc}\n{web.tail()}") from None

    def restart_web(self) -> float:
        """SIGTERM and start again; seconds until it is healthy."""
        assert self.web is not None
        started = time.monotonic()
        self.web.stop(timeout=10)
        self.web.start()
        self.wait_web()
        return time.monotonic() - started

    def start_worker(self, processes: int) -> None:
        argv = [MAREA, "worker", "--processes", str(processes)]
        self.worker = Service("worker", argv, self.env, self.logs / "worker.log")
        self.keeper = Keeper(self.worker)
        self.keeper.start()

    def stop(self) -> None:
        if self.keeper is not None:
            self.keeper.stop()
        if self.web is not None:
            self.web.stop(timeout=10)

    def rq_workers(self) -> list[int]:
        """The supervisor's RQ worker processes (its children)."""
        assert self.worker is not None and self.worker.alive()
        return children_of(self.worker.pid)

    def work_horses(self) -> list[int]:
        """Processes judging a job right now (children of the RQ workers)."""
        return [horse for rq_worker in self.rq_workers() for horse in children_of(rq_worker)]

    def tails(self, chars: int = 4000) -> str:
        return "\n".join(s.tail(chars) for s in (self.web, self.worker) if s is not None)
