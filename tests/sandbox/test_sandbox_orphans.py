"""A container whose worker was SIGKILLed is removed at the next sweep, not at its deadline.

Before, a killed worker's container lived on (its `sleep infinity` keep-alive, and whatever
the team's program still did inside) until start + wall limit + grace: five minutes and more
for a scoring run, while the retry ran beside it (found by the chaos suite, tests/chaos).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sandbox
from sandbox import RunSpec

MakeSpec = Callable[..., RunSpec]
Leftovers = Callable[..., list[dict[str, Any]]]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


def _worker(spec: RunSpec, case: str) -> subprocess.Popen[bytes]:
    """A process that runs a long sandboxed command, as a judging worker does."""
    labels = {**spec.labels, "marea.case": case}
    program = textwrap.dedent(
        f"""
        import sandbox
        spec = sandbox.RunSpec(image={spec.image!r}, command=("sleep", "300"), labels={labels!r})
        sandbox.run(spec)
        """
    )
    return subprocess.Popen([sys.executable, "-c", program], cwd=PROJECT_ROOT)


def _wait_for_container(proc: subprocess.Popen[bytes], leftovers: Leftovers, case: str) -> None:
    deadline = time.monotonic() + 30
    while not leftovers(**{"marea.case": case}):
        assert proc.poll() is None, "the worker ended before its container appeared"
        assert time.monotonic() < deadline, "the worker never started a container"
        time.sleep(0.1)


def test_the_container_of_a_killed_worker_goes_at_once_and_a_live_ones_stays(
    make_spec: MakeSpec, leftovers: Leftovers
) -> None:
    spec = make_spec(("sleep", "300"))
    killed, alive = f"killed-{uuid.uuid4().hex[:8]}", f"alive-{uuid.uuid4().hex[:8]}"
    victim, survivor = _worker(spec, killed), _worker(spec, alive)
    try:
        _wait_for_container(victim, leftovers, killed)
        _wait_for_container(survivor, leftovers, alive)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert len(leftovers(**{"marea.case": killed})) == 1  # nobody removed it on the way out
        assert sandbox.cleanup_stale(3600) >= 1
        assert leftovers(**{"marea.case": killed}) == []
        assert len(leftovers(**{"marea.case": alive})) == 1  # its worker is still judging
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    assert leftovers(**{"marea.case": alive}) == []
