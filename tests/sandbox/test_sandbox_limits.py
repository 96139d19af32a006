"""Programs that try to exhaust a resource; each must hit the ceiling it was given."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sandbox import RunResult
from sandbox.types import MiB

RunPython = Callable[..., RunResult]
Leftovers = Callable[..., list[dict[str, Any]]]

pytestmark = pytest.mark.docker


def test_kernel_sees_the_requested_limits(run_python: RunPython) -> None:
    result = run_python(
        """
        import json, os
        def read(path):
            try:
                return open(path).read().strip()
            except OSError:
                return None
        print(json.dumps({
            "quota": read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") or read("/sys/fs/cgroup/cpu.max"),
            "period": read("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
            "memory": read("/sys/fs/cgroup/memory/memory.limit_in_bytes")
                      or read("/sys/fs/cgroup/memory.max"),
            "memsw": read("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"),
            "swap_v2": read("/sys/fs/cgroup/memory.swap.max"),
            "pids": read("/sys/fs/cgroup/pids/pids.max") or read("/sys/fs/cgroup/pids.max"),
            "limits": open("/proc/self/limits").read(),
        }))
        """,
        limits={"cpus": 0.5, "memory_bytes": 80 * MiB, "pids": 24, "open_files": 50},
    )
    seen = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    if seen["period"] is not None:  # cgroup v1
        assert int(seen["quota"]) / int(seen["period"]) == pytest.approx(0.5)
    else:
        quota, period = seen["quota"].split()
        assert int(quota) / int(period) == pytest.approx(0.5)
    assert int(seen["memory"]) == 80 * MiB
    if seen["memsw"] is not None:  # swap accounting on: memory + swap equals memory
        assert int(seen["memsw"]) == 80 * MiB
    if seen["swap_v2"] is not None:
        assert seen["swap_v2"] == "0"
    assert int(seen["pids"]) == 24
    limits = {line[:26].strip(): line[26:].split() for line in seen["limits"].splitlines()[1:]}
    assert limits["Max open files"][:2] == ["50", "50"]
    assert limits["Max file size"][:2] == [str(16 * MiB)] * 2


def test_fork_bomb_is_stopped_by_the_pids_limit(run_python: RunPython) -> None:
    result = run_python(
        """
        import os, time
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print(children, type(exc).__name__)
        """,
        limits={"pids": 16},
    )
    assert result.exit_code == 0, result.stderr
    children, error = result.stdout.split()
    assert error == "BlockingIOError"
    assert 0 < int(children) < 16
    assert not result.timed_out  # the sleeping children were killed, not waited for


def test_memory_bomb_is_oom_killed(run_python: RunPython) -> None:
    result = run_python(
        """
        chunks = []
        while True:
            chunks.append(bytearray(8 * 1024 * 1024))
        """,
        limits={"memory_bytes": 64 * MiB},
    )
    assert result.oom_killed
    assert result.exit_code == 137
    assert not result.timed_out
    assert result.peak_memory_bytes is not None
    assert result.peak_memory_bytes <= 64 * MiB


def test_normal_run_reports_peak_memory_and_no_oom(run_python: RunPython) -> None:
    result = run_python("x = bytearray(20 * 1024 * 1024); print(len(x))")
    assert result.exit_code == 0, result.stderr
    assert not result.oom_killed
    assert result.peak_memory_bytes is not None
    assert result.peak_memory_bytes >= 20 * MiB


@pytest.mark.parametrize("directory", ["/tmp", "/output"])
def test_filling_scratch_or_output_stops_at_its_size(run_python: RunPython, directory: str) -> None:
    result = run_python(
        f"""
        import errno
        written = 0
        block = b"x" * 65536
        try:
            with open("{directory}/fill", "wb") as f:
                while True:
                    written += f.write(block)
                    f.flush()
        except OSError as exc:
            print(written, errno.errorcode[exc.errno])
        """,
        limits={"scratch_bytes": 2 * MiB, "output_bytes": 2 * MiB},
    )
    assert result.exit_code == 0, result.stderr
    written, error = result.stdout.split()
    assert error == "ENOSPC"
    assert int(written) <= 2 * MiB
    if directory == "/output":
        assert result.output_files == ["fill"]
        assert (result.output_path / "fill").stat().st_size <= 2 * MiB


def test_file_size_ulimit_and_open_files_ulimit(run_python: RunPython) -> None:
    result = run_python(
        """
        import errno
        try:
            with open("/tmp/big", "wb") as f:
                f.write(b"x" * (2 * 1024 * 1024))
        except OSError as exc:
            print(errno.errorcode[exc.errno])
        handles = []
        try:
            while True:
                handles.append(open("/dev/null"))
        except OSError as exc:
            print(errno.errorcode[exc.errno], len(handles))
        """,
        limits={"file_size_bytes": 1 * MiB, "scratch_bytes": 8 * MiB, "open_files": 40},
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "EFBIG"
    error, opened = lines[1].split()
    assert error == "EMFILE"
    assert int(opened) < 40


def test_endless_loop_times_out_and_container_is_gone(
    run_python: RunPython, leftovers: Leftovers
) -> None:
    result = run_python(
        "print('spinning', flush=True)\nwhile True: pass",
        limits={"wall_seconds": 1.5},
        labels={"marea.case": "endless"},
    )
    assert result.timed_out
    assert result.exit_code is None
    assert result.stdout == "spinning\n"
    assert result.duration_s >= 1.5
    assert leftovers(**{"marea.case": "endless"}) == []


def test_output_flood_keeps_the_tail_and_counts_the_cut(run_python: RunPython) -> None:
    result = run_python(
        """
        import sys
        line = "x" * 99 + "\\n"
        for _ in range(50_000):
            sys.stdout.write(line)
            sys.stderr.write(line)
        print("THE END")
        sys.stderr.write("LAST ERROR\\n")
        """,
        limits={"log_bytes": 10_000},
    )
    assert result.exit_code == 0, result.stderr[-200:]
    total = 50_000 * 100 + len("THE END\n")
    assert len(result.stdout.encode()) == 10_000
    assert result.stdout.endswith("x\nTHE END\n")
    assert result.stdout_truncated_bytes == total - 10_000
    assert result.stderr.endswith("LAST ERROR\n")
    assert result.stderr_truncated_bytes == 50_000 * 100 + len("LAST ERROR\n") - 10_000
