"""Peak memory and OOM kills, read from the container's memory cgroup on this host.

Docker's own `OOMKilled` flag only covers the container's main process, and the
user program runs as an exec, so we ask the kernel: cgroup v1 keeps
`memory.max_usage_in_bytes` and an `oom_kill` count in `memory.oom_control`;
v2 keeps `memory.peak` and `memory.events`. Both are read through the init
process's /proc entry, which only works when the engine runs on this host; the
caller falls back to the stats API otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class MemoryReport:
    peak_bytes: int | None
    oom_kills: int | None


def _memory_cgroup(pid: int) -> tuple[Path, int] | None:
    """The memory cgroup directory of `pid` and the cgroup version (1 or 2)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    unified: str | None = None
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if "memory" in controllers.split(","):
            return CGROUP_ROOT / "memory" / path.lstrip("/"), 1
        if hierarchy == "0" and controllers == "":
            unified = path
    if unified is not None:
        return CGROUP_ROOT / unified.lstrip("/"), 2
    return None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _read_key(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        return None
    return None


def read_memory(pid: int) -> MemoryReport:
    """What the kernel recorded for the cgroup of `pid`; None for whatever is unreadable."""
    found = _memory_cgroup(pid) if pid > 0 else None
    if found is None:
        return MemoryReport(None, None)
    directory, version = found
    if version == 1:
        return MemoryReport(
            _read_int(directory / "memory.max_usage_in_bytes"),
            _read_key(directory / "memory.oom_control", "oom_kill"),
        )
    return MemoryReport(
        _read_int(directory / "memory.peak"), _read_key(directory / "memory.events", "oom_kill")
    )
