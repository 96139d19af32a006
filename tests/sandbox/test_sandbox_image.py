"""Building the runner image is idempotent: a current image is detected by its recipe label."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docker
import pytest

import sandbox
from sandbox import RunResult
from sandbox.image import RECIPE_LABEL, recipe_hash

PROJECT_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


def test_second_build_is_a_cached_no_op(
    docker_client: docker.DockerClient, runner_image: str
) -> None:
    messages: list[str] = []
    outcome = sandbox.build_image(
        PROJECT_ROOT / "var" / "cache" / "sandbox", client=docker_client, progress=messages.append
    )
    assert not outcome.built
    assert outcome.image == runner_image
    assert outcome.recipe == recipe_hash()
    assert docker_client.images.get(runner_image).labels[RECIPE_LABEL] == recipe_hash()
    assert any("up to date" in m for m in messages)
    assert sandbox.image_is_current(docker_client, runner_image)


def test_image_has_python_stack_and_runner_user(run_python: Callable[..., RunResult]) -> None:
    result = run_python(
        """
        import pwd, numpy, pandas, scipy, sklearn
        user = pwd.getpwuid(1000)
        print(user.pw_name, user.pw_uid, user.pw_gid)
        """
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["runner", "1000", "1000"]
