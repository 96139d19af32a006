"""Fixtures for the chaos and load suites: a private stack each, never the machine's shared one.

Both suites restart Redis and PostgreSQL or flood the site, so each test module gets its own
redis-server, PostgreSQL cluster, `marea serve` and `marea worker` (see private_stack.py). A part
that cannot be started fails the run with the reason, never skips it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.private_stack import PrivateStack
from tests.chaos.stack_control import StackError

CHAOS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here `chaos`, so `-m "not chaos"` leaves the private stacks out."""
    for item in items:
        if CHAOS_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.chaos)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


@pytest.fixture(scope="module")
def private_stack() -> Iterator[PrivateStack]:
    """A started private stack with two judging processes, torn down after the module.

    Its root lives under the system temp dir, not pytest's: the PostgreSQL cluster in it must
    be readable by the `postgres` user when the tests run as root.
    """
    root = Path(tempfile.mkdtemp(prefix="marea-chaos-"))
    heartbeat = env_float("MAREA_CHAOS_HEARTBEAT_TIMEOUT_S", 10.0)
    stack = PrivateStack(
        root,
        processes=2,
        extra_env={
            "MAREA_HEARTBEAT_TIMEOUT_S": str(heartbeat),
            "MAREA_SWEEP_INTERVAL_S": os.environ.get("MAREA_CHAOS_SWEEP_INTERVAL_S") or "2",
        },
    )
    try:
        stack.start()
    except StackError as exc:
        stack.stop()
        pytest.fail(f"the private stack did not start: {exc}", pytrace=False)
    try:
        yield stack
    finally:
        stack.stop()
        if not os.environ.get("MAREA_CHAOS_KEEP"):  # keep the logs to look at a failure
            shutil.rmtree(root, ignore_errors=True)
