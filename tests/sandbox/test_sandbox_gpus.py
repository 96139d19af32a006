"""GPUs reach a sandbox as Docker device requests. This machine has no GPU, so the container is
created and inspected, never started: the engine would refuse to start it without a GPU driver."""

from __future__ import annotations

from dataclasses import replace

import docker

from app.challenges.compute import phase_gpus, phase_pool
from sandbox import limits as sandbox_limits
from sandbox import runner as sandbox_runner
from sandbox.cleanup import remove
from tests.sandbox.conftest import MakeSpec


def _created_host_config(client: docker.DockerClient, spec: object) -> dict[str, object]:
    api = client.api
    image_id = sandbox_runner._resolve_image(api, spec.image)  # type: ignore[attr-defined]
    container_id = sandbox_runner._create(api, spec, image_id)  # type: ignore[arg-type]
    try:
        host_config: dict[str, object] = api.inspect_container(container_id)["HostConfig"]
        assert api.inspect_container(container_id)["State"]["Status"] == "created"
        return host_config
    finally:
        remove(api, container_id)


def test_a_run_with_gpus_asks_the_engine_for_them(
    make_spec: MakeSpec, docker_client: docker.DockerClient
) -> None:
    spec = make_spec(("true",))
    spec = replace(spec, limits=replace(spec.limits, gpus=2))
    assert sandbox_limits.host_config(spec)["device_requests"] == [
        docker.types.DeviceRequest(count=2, capabilities=[["gpu"]])
    ]
    requests = _created_host_config(docker_client, spec)["DeviceRequests"]
    assert requests == [
        {"Driver": "", "Count": 2, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}}
    ]


def test_a_run_without_gpus_asks_for_no_device(
    make_spec: MakeSpec, docker_client: docker.DockerClient
) -> None:
    spec = make_spec(("true",))
    assert spec.limits.gpus == 0
    assert sandbox_limits.host_config(spec)["device_requests"] is None
    assert not _created_host_config(docker_client, spec)["DeviceRequests"]


def test_a_phase_compute_replaces_the_challenges() -> None:
    config = {"compute": {"pool": "gpu", "gpus": 1}}
    assert (phase_pool(config, {}), phase_gpus(config, {})) == ("gpu", 1)
    phase = {"compute": {"pool": "big-cpu"}}
    assert (phase_pool(config, phase), phase_gpus(config, phase)) == ("big-cpu", 0)
    assert (phase_pool({}, {"compute": None}), phase_gpus({}, {})) == ("default", 0)
