"""What every benchmark here shares: where its data lives, its own Redis, one `marea serve`, load.

A benchmark must never read or write another suite's data, so by default each run gets a fresh
data directory (removed afterwards), a SQLite database inside it and a private `redis-server`
on a free port (stopped afterwards). `--redis-url`, `--database-url` and `--data-dir` point it
elsewhere; a PostgreSQL database named there is created when missing, refused when it holds
anything but an earlier bench build, and dropped afterwards if this run created it (unless
`--keep-database`). Redis pub/sub ignores the database number, so a Redis given with
`--redis-url` should be one no other Marea publishes on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SLUG = "sea-surface-temperature"
BUNDLE = ROOT / "challenges" / SLUG
MAREA = str(Path(sys.executable).with_name("marea"))
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """The options that say where a benchmark's data lives; defaults touch nothing shared."""
    group = parser.add_argument_group("where the benchmark's data lives")
    group.add_argument(
        "--redis-url",
        default="",
        help="Redis to use (its database must hold no marea:* keys). "
        "Default: a private redis-server on a free port, stopped afterwards.",
    )
    group.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL. Default: SQLite in the data directory. A PostgreSQL database is "
        "created when missing and refused when it holds anything but an earlier bench build.",
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="Data directory (store, logs, SQLite). Default: a fresh temporary one, removed "
        "afterwards.",
    )
    group.add_argument(
        "--keep-database",
        action="store_true",
        help="Keep a PostgreSQL database this run created (a later run with the same "
        "--database-url and shape reuses the build instead of making it again).",
    )


# -- Redis ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_for(url: str, data_dir: Path) -> Iterator[str]:
    """The Redis URL to use: `url` checked unused, or a private server started here."""
    import redis

    if url:
        client = redis.Redis.from_url(url)
        used = sum(1 for _ in client.scan_iter("marea:*", count=1000))
        client.close()
        if used:
            raise SystemExit(
                f"{url} already holds {used} marea:* keys (another Marea or suite uses it); "
                "name an empty database, or omit --redis-url for a private server."
            )
        yield url
        return
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed: bash scripts/ensure-redis.sh")
    port = free_port()
    work = data_dir / "redis"
    work.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(work), "--logfile", str(work / "redis.log")],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the private redis-server did not start; see {work}/redis.log")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the database --------------------------------------------------------------------------------


@dataclass
class Database:
    """The database a run uses, and whether this run made it (so must drop it)."""

    url: str
    created: bool = False
    dropped_at_end: bool = False


def _postgres_admin(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance database, name of the database in `url`)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.database:
        raise SystemExit(f"{url} names no database: add /marea_bench_<something>")
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    return admin, parsed.database


@contextlib.contextmanager
def database_for(url: str, data_dir: Path, keep: bool) -> Iterator[Database]:
    """SQLite in the data dir, or a PostgreSQL database created (and later dropped) here."""
    if not url:
        yield Database(f"sqlite:///{data_dir / 'marea.db'}")
        return
    if url.startswith("sqlite"):
        yield Database(url)
        return
    from sqlalchemy import create_engine, text

    admin_url, name = _postgres_admin(url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(url, created=not exists)
    try:
        yield db
    finally:
        if db.created and not keep:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            db.dropped_at_end = True
        admin.dispose()


# -- the whole place a benchmark runs in ---------------------------------------------------------


@dataclass
class Place:
    """Data directory, database and Redis of one benchmark run."""

    data_dir: Path
    database: Database
    redis_url: str
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, base_url: str = "") -> dict[str, str]:
        """The environment of a `marea` process of this run: nothing inherited from MAREA_*."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAREA_")}
        env.update(
            MAREA_DATA_DIR=str(self.data_dir),
            MAREA_DATABASE_URL=self.database.url,
            MAREA_REDIS_URL=self.redis_url,
            MAREA_SECRET_KEY=SECRET_KEY,
            **self.extra_env,
        )
        if base_url:
            env["MAREA_BASE_URL"] = base_url
        return env


@contextlib.contextmanager
def place(args: argparse.Namespace, extra_env: dict[str, str] | None = None) -> Iterator[Place]:
    """The data dir, database and Redis named by the site options, made and cleaned up here."""
    given: Path | None = args.data_dir
    tmp = None if given else tempfile.mkdtemp(prefix="marea-bench-")
    data_dir = (given or Path(str(tmp))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with (
            database_for(args.database_url, data_dir, args.keep_database) as database,
            redis_for(args.redis_url, data_dir) as redis_url,
        ):
            yield Place(data_dir, database, redis_url, dict(extra_env or {}))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# -- one `marea serve` ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log: Path


@contextlib.contextmanager
def serve(where: Place) -> Iterator[Server]:
    """One `marea serve` process (one uvicorn worker), stopped with SIGTERM then SIGKILL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = where.data_dir / "serve.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [MAREA, "serve", "--port", str(port)],
        cwd=ROOT,
        env=where.env(base_url),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise SystemExit(f"marea serve exited; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"marea serve not healthy in 90 s; see {log_path}")
            time.sleep(0.3)
        yield Server(base_url, process.pid, log_path)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included (/proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


# -- load ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    tool: str
    command: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float  # CPU time the server process spent during the load

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / max(self.requests, 1)


def _wrk_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    threads: int = 1,
    pid: int | None = None,
    script: Path | None = None,
    print_output: bool = False,
) -> LoadResult:
    """wrk against `url`; `pid` is the server's, whose CPU time over the run is measured."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
            "--latency", "-H", "Accept-Encoding: identity"]  # fmt: skip
    if script is not None:
        argv += ["-s", str(script)]
    argv.append(url)
    cpu0 = cpu_seconds(pid) if pid else 0.0
    t0 = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0 if pid else 0.0
    if print_output:
        print(out)
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if total is None or rps is None or not latencies:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return LoadResult(
        "wrk", " ".join(argv), int(total.group(1)), errors, elapsed, float(rps.group(1)),
        _wrk_ms(latencies["50"]), _wrk_ms(latencies["99"]), cpu,
    )  # fmt: skip


async def _httpx_load(
    url: str, connections: int, duration: float
) -> tuple[list[float], int, float]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        stop = time.monotonic() + duration

        async def one() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    answer = await client.get(url, headers={"Accept-Encoding": "identity"})
                    ok = answer.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - start) * 1000)
                errors += not ok

        began = time.monotonic()
        await asyncio.gather(*(one() for _ in range(connections)))
        return latencies, errors, time.monotonic() - began


def run_httpx(url: str, *, connections: int, duration: float, pid: int | None = None) -> LoadResult:
    """Fallback load generator; being Python, it saturates before a fast server does."""
    cpu0 = cpu_seconds(pid) if pid else 0.0
    latencies, errors, elapsed = asyncio.run(_httpx_load(url, connections, duration))
    cpu = cpu_seconds(pid) - cpu0 if pid else 0.0
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return LoadResult(
        "httpx", f"asyncio httpx, {connections} connections, {duration:.0f} s", len(latencies),
        errors, elapsed, len(latencies) / elapsed, cuts[49], cuts[98], cpu,
    )  # fmt: skip


def load(
    url: str,
    *,
    connections: int,
    duration: float,
    pid: int | None,
    tool: str = "auto",
    threads: int = 1,
) -> LoadResult:
    """HTTP GET load with wrk when installed (or asked for), else the asyncio client."""
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return run_wrk(url, connections=connections, duration=duration, pid=pid, threads=threads)
    return run_httpx(url, connections=connections, duration=duration, pid=pid)


# -- the machine ---------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({model}), Python {sys.version.split()[0]}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def commit() -> str:
    """HEAD's short hash, with `+dirty` when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def command_line(script: str) -> str:
    return " ".join([".venv/bin/python", f"bench/{script}", *sys.argv[1:]])
