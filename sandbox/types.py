"""The values that cross the sandbox boundary.

Kept free of Docker types so that callers (the judging pipeline) can build
requests and read results without importing docker-py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024


@dataclass(frozen=True)
class Mount:
    """A host directory or file bind-mounted into the container."""

    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class Limits:
    """Resource ceilings for one run; defaults are deliberately small."""

    wall_seconds: float = 60.0
    memory_bytes: int = 512 * MiB
    cpus: float = 1.0
    pids: int = 64
    scratch_bytes: int = 64 * MiB
    output_bytes: int = 64 * MiB
    file_size_bytes: int = 64 * MiB
    open_files: int = 256
    log_bytes: int = 1 * MiB
    # GPUs handed to the container (Docker device requests); 0 gives it none.
    gpus: int = 0


@dataclass(frozen=True)
class RunSpec:
    """One command to run in a fresh container."""

    image: str
    command: tuple[str, ...]
    mounts: tuple[Mount, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/tmp"
    output_dir: str = "/output"
    limits: Limits = field(default_factory=Limits)
    labels: dict[str, str] = field(default_factory=dict)
    # Numeric, so it works in any image whether or not it has a `runner` entry in /etc/passwd.
    user: str = "1000:1000"
    # A size-capped tmpfs, also HOME, since the root filesystem is read-only.
    scratch_dir: str = "/tmp"
    # Where the output files land on the host; a fresh temporary directory when None.
    output_path: Path | None = None
    # Called from the reader thread with each (stdout, stderr) chunk as it arrives, for a live
    # view of a run; it must be quick, and whatever it raises is ignored (the run goes on).
    live: Callable[[bytes, bytes], None] | None = field(default=None, compare=False)


@dataclass
class RunResult:
    """What happened in the container; the output files are copied out to `output_path`."""

    exit_code: int | None
    timed_out: bool
    oom_killed: bool
    duration_s: float
    peak_memory_bytes: int | None
    stdout: str
    stderr: str
    stdout_truncated_bytes: int
    stderr_truncated_bytes: int
    output_path: Path
    output_truncated: bool
    image_id: str
    # Paths relative to `output_path`, in the order they were copied out.
    output_files: list[str] = field(default_factory=list)
