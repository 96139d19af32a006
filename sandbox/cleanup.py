"""Making sure no sandbox container outlives its run.

Three nets, from finest to coarsest: `run` removes its container in a `finally`
(which also covers Ctrl-C and, through `interrupt_guard`, SIGTERM); containers
still registered here when the interpreter exits are removed by an atexit hook;
and `cleanup_stale` sweeps containers left by a worker that was killed outright.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import docker
import docker.errors
import requests

from sandbox.engine import connect
from sandbox.limits import (
    DEADLINE_LABEL,
    OWNER_LABEL,
    SANDBOX_LABEL,
    STARTED_LABEL,
    process_scope,
)

# Containers this process created and has not yet removed: process-local bookkeeping
# for the atexit net, touched only by `track`/`untrack` under the lock.
_live: dict[str, docker.APIClient] = {}
_lock = threading.Lock()


def track(api: docker.APIClient, container_id: str) -> None:
    with _lock:
        _live[container_id] = api


def untrack(container_id: str) -> None:
    with _lock:
        _live.pop(container_id, None)


def remove(api: docker.APIClient, container_id: str) -> None:
    """Kill and remove; a container already gone, or already being removed, counts as removed.

    Several nets may reach the same container at once (the run's own `finally`, a sweeper
    in another worker, the engine's auto-removal); the engine answers the later ones 409
    "removal ... is already in progress", which is the outcome they wanted.
    """
    try:
        api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code != 409 or "already in progress" not in str(exc):
            raise
    untrack(container_id)


def kill_leftover_processes(
    api: docker.APIClient, container_id: str, init_pid: int, pids_limit: int
) -> bool:
    """SIGKILL every process of the container but its init, from this host; False if we can't.

    For when the container cannot take one more process (its pids limit is full), so the
    usual in-container `kill -KILL -1` cannot start. The container is frozen first, so
    nothing in it can fork while its processes are found (by PID namespace, through
    /proc) and killed; frozen processes die of SIGKILL as soon as they are thawed. The
    dead stay zombies holding their slots (the container's init is a `sleep`, which reaps
    nobody), so the limit is then raised by a few: nothing is left in the container that
    could take them but the exec that comes next. Needs the engine on this host and the
    right to signal the container's processes (root, or the same user); without them
    nothing is killed and False says so.
    """
    try:
        namespace = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return False
    killed = 0
    try:
        api.pause(container_id)
    except (docker.errors.DockerException, requests.RequestException):
        return False
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == init_pid:
                continue
            try:
                if os.readlink(entry / "ns" / "pid") != namespace:
                    continue
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
            except OSError:
                continue  # gone meanwhile, or not ours to signal
    finally:
        with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
            api.unpause(container_id)
    if killed == 0:
        return False
    # docker-py's update_container has no pids limit; the engine's update endpoint has.
    with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
        answer = api._post_json(
            api._url("/containers/{0}/update", container_id),
            data={"PidsLimit": pids_limit + ROOM_FOR_THE_COPY},
        )
        api._raise_for_status(answer)
    return True


# Processes the copy of the outputs needs beyond the limit: its shell, exec'd into tar.
ROOM_FOR_THE_COPY = 4


@atexit.register
def _remove_tracked() -> None:
    with _lock:
        leftovers = list(_live.items())
    for container_id, api in leftovers:
        with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
            remove(api, container_id)


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def interrupt_guard() -> Iterator[None]:
    """Turn SIGTERM into SystemExit for the duration, so `finally` blocks remove containers.

    Only where it is safe: in the main thread, and only when nobody else (an RQ
    worker, a web server) has already installed a SIGTERM handler of their own.
    """
    install = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    )
    if install:
        signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        yield
    finally:
        if install:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def cleanup_stale(max_age_s: float, *, client: docker.DockerClient | None = None) -> int:
    """Remove leftover sandbox containers; return how many.

    A container is a leftover once its deadline label (start + wall limit +
    grace) has passed, or, for containers without one, once it is older than
    `max_age_s`; or at once when the process that made it, on this host, is
    dead (a worker SIGKILLed mid-run), so a killed run stops using CPU and
    memory before its deadline. A running submission is never touched: its
    deadline lies ahead and its process is alive.
    """
    client = connect(client)
    now = time.time()
    removed = 0
    for summary in client.api.containers(all=True, filters={"label": f"{SANDBOX_LABEL}=1"}):
        labels = summary.get("Labels") or {}
        if _owner_is_dead(labels.get(OWNER_LABEL, "")):
            remove(client.api, summary["Id"])
            removed += 1
            continue
        try:
            started = float(labels.get(STARTED_LABEL, summary.get("Created", now)))
        except ValueError:
            started = float(summary.get("Created", now))
        try:
            deadline = float(labels[DEADLINE_LABEL])
        except (KeyError, ValueError):
            deadline = started + max_age_s
        if now >= deadline or now - started >= max_age_s:
            remove(client.api, summary["Id"])
            removed += 1
    return removed


def _owner_is_dead(owner: str) -> bool:
    """True only for an owner on this host and PID namespace that no longer runs.

    Owners elsewhere (another worker machine sharing the engine) are left to their deadline.
    A zombie counts as dead: nobody may have reaped a horse whose parent was killed too.
    """
    scope, _, pid = owner.rpartition("/")
    if scope != process_scope() or not pid.isdigit():
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] in (["Z"], ["X"])
