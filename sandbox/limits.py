"""Translate a `RunSpec` into Docker's container and host settings.

Everything that makes a container a sandbox is decided here, in one place, so a
reviewer can read the whole policy at once: no network, read-only root, no
capabilities, no privilege gain, a non-root user, and ceilings on processes,
memory (no swap), CPU, scratch and output space, file size and open files.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import PurePosixPath
from typing import Any

from docker.types import DeviceRequest, LogConfig, Ulimit
from docker.types import Mount as DockerMount

from sandbox.errors import InvalidSpec
from sandbox.types import MiB, RunSpec

SANDBOX_LABEL = "marea.sandbox"
STARTED_LABEL = "marea.started"
# When a container has certainly outlived its run (wall limit plus time to collect outputs);
# past it the container is a leftover of a killed worker and may be removed at once.
DEADLINE_LABEL = "marea.deadline"
DEADLINE_GRACE_S = 15
# The process that made the container: host, PID namespace and pid. Once that process is gone
# the run is over whatever its deadline says (a worker SIGKILLed mid-run never removes its own).
OWNER_LABEL = "marea.owner"
MIN_MEMORY = 8 * MiB
MAX_SHM = 64 * MiB
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_USER = re.compile(r"^(\d+):(\d+)$")


def numeric_user(spec: RunSpec) -> tuple[int, int]:
    """The run's uid and gid; numeric so the tmpfs mounts can be owned by them."""
    match = _USER.match(spec.user)
    if match is None:
        raise InvalidSpec(f"user must be numeric 'uid:gid', got {spec.user!r}")
    return int(match.group(1)), int(match.group(2))


def validate(spec: RunSpec) -> None:
    """Reject requests Docker would misread or that would weaken the sandbox."""
    lim = spec.limits
    if not spec.command:
        raise InvalidSpec("command is empty")
    if not spec.image:
        raise InvalidSpec("image is empty")
    if lim.wall_seconds <= 0:
        raise InvalidSpec("wall_seconds must be positive")
    if lim.memory_bytes < MIN_MEMORY:
        raise InvalidSpec(f"memory_bytes must be at least {MIN_MEMORY} (Docker's minimum)")
    if lim.gpus < 0:
        raise InvalidSpec("gpus must not be negative")
    if lim.cpus <= 0 or lim.pids < 1 or lim.open_files < 3 or lim.log_bytes < 0:
        raise InvalidSpec("cpus, pids and open_files must be positive (open_files at least 3)")
    if min(lim.scratch_bytes, lim.output_bytes, lim.file_size_bytes) < 1:
        raise InvalidSpec("scratch_bytes, output_bytes and file_size_bytes must be positive")
    uid, _ = numeric_user(spec)
    if uid == 0:
        raise InvalidSpec("the sandbox never runs as root (uid 0)")
    private = {spec.scratch_dir, spec.output_dir}
    for path in (spec.scratch_dir, spec.output_dir, spec.workdir):
        if not PurePosixPath(path).is_absolute():
            raise InvalidSpec(f"container path {path!r} must be absolute")
    if spec.scratch_dir == spec.output_dir:
        raise InvalidSpec("scratch_dir and output_dir must differ")
    for mount in spec.mounts:
        if not mount.source.is_absolute() or not mount.source.exists():
            raise InvalidSpec(f"mount source {mount.source} must be an existing absolute path")
        if not PurePosixPath(mount.target).is_absolute() or mount.target in private:
            raise InvalidSpec(f"mount target {mount.target!r} must be absolute and not {private}")
    for key, value in spec.env.items():
        if not _ENV_KEY.match(key) or "\0" in value:
            raise InvalidSpec(f"environment variable {key!r} has an invalid name or value")


def environment(spec: RunSpec) -> dict[str, str]:
    """The container's environment: HOME on scratch (the root is read-only), then the caller's."""
    return {"HOME": spec.scratch_dir, **spec.env}


def labels(spec: RunSpec, started: float) -> dict[str, str]:
    """The caller's labels plus ours, which the stale-container sweeper relies on."""
    deadline = int(started + spec.limits.wall_seconds + DEADLINE_GRACE_S)
    return {
        **spec.labels,
        SANDBOX_LABEL: "1",
        STARTED_LABEL: str(int(started)),
        DEADLINE_LABEL: str(deadline),
        OWNER_LABEL: f"{process_scope()}/{os.getpid()}",
    }


def process_scope() -> str:
    """Where a pid means one process: this host name and this PID namespace."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname()}/{namespace}"


def host_config(spec: RunSpec) -> dict[str, Any]:
    """Keyword arguments for docker-py's `create_host_config`."""
    lim = spec.limits
    uid, gid = numeric_user(spec)
    owner = f"uid={uid},gid={gid},mode=0700"
    return {
        "network_mode": "none",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "pids_limit": lim.pids,
        "mem_limit": lim.memory_bytes,
        "memswap_limit": lim.memory_bytes,  # equal to the memory limit: no swap at all
        "nano_cpus": int(lim.cpus * 1e9),
        "shm_size": min(MAX_SHM, lim.memory_bytes // 4),
        "tmpfs": {
            spec.scratch_dir: f"rw,nosuid,nodev,size={lim.scratch_bytes},{owner}",
            spec.output_dir: f"rw,nosuid,nodev,noexec,size={lim.output_bytes},{owner}",
        },
        "ulimits": [
            Ulimit(name="fsize", soft=lim.file_size_bytes, hard=lim.file_size_bytes),
            Ulimit(name="nofile", soft=lim.open_files, hard=lim.open_files),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "mounts": [
            DockerMount(m.target, str(m.source), type="bind", read_only=m.read_only)
            for m in spec.mounts
        ],
        # Output is read through the exec stream, capped; no log file grows on the host.
        "log_config": LogConfig(type=LogConfig.types.NONE),
        "init": False,
        # Only a pool's GPU hosts get a phase asking for GPUs (app.queue.dispatch); the engine
        # refuses to start the container where no GPU driver is there to honour the request.
        "device_requests": (
            [DeviceRequest(count=lim.gpus, capabilities=[["gpu"]])] if lim.gpus else None
        ),
    }
