"""Which Redis server the suites use: by default a private one for this test run alone.

Suites flush their own database number (9 for authz, 15 for the web tests, ...). On a
server shared by several runs (two checkouts, or two runs of one) those flushes would
empty each other's queues and counters mid-test, so each run starts its own
`redis-server` on a free port, without persistence (`--save '' --appendonly no`), the
first time a test asks for a URL: a `-m unit` run, which asks for none, starts nothing.
It is stopped when the run ends (`pytest_unconfigure` in tests/conftest.py, which pytest
also calls after Ctrl-C), at interpreter exit otherwise, and by the kernel if the run is
killed outright (the parent-death signal). It runs in a session of its own, so a Ctrl-C
meant for pytest does not take Redis away from the fixtures still tearing down.

`MAREA_TEST_REDIS=redis://host:port` names a server explicitly instead (nothing is
started; that server's databases 3 and 8 to 15 get flushed, so give the run one nobody
else uses). Once a private server is up, `MAREA_TEST_REDIS` is set to it in this
process's environment, so processes the tests start inherit it.

The chaos suite (tests/chaos) starts and breaks Redis servers of its own and does not
use this module.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis

ENV = "MAREA_TEST_REDIS"
START_TIMEOUT_S = 10.0
PR_SET_PDEATHSIG = 1

_explicit = os.environ.get(ENV, "").rstrip("/")
_server: subprocess.Popen[bytes] | None = None
_base = ""
_lock = threading.Lock()


def redis_base() -> str:
    """`redis://host:port` of this run's Redis, starting the private server on first use."""
    global _base
    if _explicit:
        return _explicit
    with _lock:
        if not _base:
            _base = _start()
            os.environ[ENV] = _base
        return _base


def redis_url(db: int) -> str:
    """The URL of database `db` on this run's Redis server."""
    return f"{redis_base()}/{db}"


def stop() -> None:
    """Stop the private server, if this run started one (idempotent)."""
    global _server, _base
    with _lock:
        server, _server = _server, None
        if server is None:
            return
        if os.environ.get(ENV) == _base:
            del os.environ[ENV]
        _base = ""
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the thread that started it dies.

    Only asked for from the main thread, whose death is the process's (a pool thread
    that started the server and then exited would take the server with it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _start() -> str:
    global _server
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not on PATH (Debian: apt-get install redis-server); "
            f"install it, or set {ENV}=redis://host:port to a server this run may flush"
        )
    work = Path(tempfile.mkdtemp(prefix="marea-test-redis-"))
    in_main_thread = threading.current_thread() is threading.main_thread()
    for _attempt in range(3):  # another process may take the free port before we bind it
        port = _free_port()
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(work), "--logfile", str(work / "redis.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if in_main_thread else None,
        )  # fmt: skip
        if _wait_ready(server, port):
            # Without persistence it never writes to its directory again, and its log stays
            # open: nothing is left behind, however the run ends.
            shutil.rmtree(work, ignore_errors=True)
            _server = server
            atexit.register(stop)
            return f"redis://127.0.0.1:{port}"
        server.kill()
        server.wait()
    log = (work / "redis.log").read_text(errors="replace")[-2000:]
    shutil.rmtree(work, ignore_errors=True)
    raise RuntimeError(f"the private redis-server for the tests did not start:\n{log}")


def _wait_ready(server: subprocess.Popen[bytes], port: int) -> bool:
    client = redis.Redis(port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:
                time.sleep(0.02)
        return False
    finally:
        client.close()
