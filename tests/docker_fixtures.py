"""Fixtures for tests that run real containers: the engine, the runner image, session labels.

Loaded for the whole suite from tests/conftest.py. A missing engine fails the run with the
command that fixes it; it never skips.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

import sandbox

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_LABEL = "marea.test"
SESSION = uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        return sandbox.connect()
    except sandbox.EngineUnavailable as exc:
        pytest.fail(f"these tests need the Docker engine: {exc.message}")


@pytest.fixture(scope="session")
def runner_image(docker_client: docker.DockerClient) -> str:
    """The project's runner image, built through the public API (a no-op when current)."""
    outcome = sandbox.build_image(
        PROJECT_ROOT / "var" / "cache" / "sandbox", client=docker_client, progress=lambda _: None
    )
    return outcome.image


@pytest.fixture(scope="session")
def labels(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    """Labels for every container of this session; none may be left behind at the end."""
    yield {TEST_LABEL: SESSION}
    left = docker_client.api.containers(all=True, filters={"label": f"{TEST_LABEL}={SESSION}"})
    assert left == [], f"containers left behind: {[c['Id'][:12] for c in left]}"
