"""Sandbox tests run real programs in real containers from the real runner image.

A missing engine fails the run with the command that fixes it; it never skips.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import pytest

import sandbox
from sandbox import Limits, RunResult, RunSpec
from tests.docker_fixtures import SESSION, TEST_LABEL

SMALL = Limits(
    wall_seconds=20,
    memory_bytes=96 * sandbox.types.MiB,
    cpus=1.0,
    pids=32,
    scratch_bytes=4 * sandbox.types.MiB,
    output_bytes=4 * sandbox.types.MiB,
    file_size_bytes=16 * sandbox.types.MiB,
    open_files=64,
    log_bytes=64 * 1024,
)

RunPython = Callable[..., RunResult]
MakeSpec = Callable[..., RunSpec]
Leftovers = Callable[..., list[dict[str, Any]]]


def sandbox_containers(client: docker.DockerClient, **labels: str) -> list[dict[str, Any]]:
    """Containers of this test session (any state), optionally narrowed by more labels."""
    wanted = [f"{TEST_LABEL}={SESSION}", *(f"{k}={v}" for k, v in labels.items())]
    result: list[dict[str, Any]] = client.api.containers(all=True, filters={"label": wanted})
    return result


@pytest.fixture(scope="session", autouse=True)
def no_container_left(docker_client: docker.DockerClient) -> Iterator[None]:
    """Every run of the session must have removed its container."""
    yield
    left = sandbox_containers(docker_client)
    assert left == [], f"sandbox containers left behind: {[c['Id'][:12] for c in left]}"


def spec_for(image: str, command: tuple[str, ...], **changes: Any) -> RunSpec:
    spec = RunSpec(image=image, command=command, limits=SMALL, labels={TEST_LABEL: SESSION})
    return replace(spec, **changes)


@pytest.fixture
def session_labels() -> dict[str, str]:
    """The label that marks this test session's containers (to find leftovers)."""
    return {TEST_LABEL: SESSION}


@pytest.fixture
def make_spec(runner_image: str) -> MakeSpec:
    """A RunSpec for the runner image with this session's label and small limits."""

    def make(command: tuple[str, ...], **changes: Any) -> RunSpec:
        return spec_for(changes.pop("image", runner_image), command, **changes)

    return make


@pytest.fixture
def leftovers(docker_client: docker.DockerClient) -> Leftovers:
    """This session's containers still on the engine, narrowed by extra labels."""

    def find(**labels: str) -> list[dict[str, Any]]:
        return sandbox_containers(docker_client, **labels)

    return find


@pytest.fixture
def run_python(runner_image: str, tmp_path: Path) -> Iterator[RunPython]:
    """Run a Python snippet in the sandbox with small limits; outputs go under tmp_path."""
    made: list[Path] = []

    def run(code: str, **changes: Any) -> RunResult:
        limits = changes.pop("limits", {})
        out = tmp_path / f"out{len(made)}"
        made.append(out)
        spec = spec_for(
            runner_image,
            ("python3", "-c", textwrap.dedent(code)),
            limits=replace(SMALL, **limits),
            output_path=out,
            **changes,
        )
        return sandbox.run(spec)

    yield run
    for path in made:
        shutil.rmtree(path, ignore_errors=True)
