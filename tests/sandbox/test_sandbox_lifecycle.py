"""The container's life: leftovers killed, always removed, nothing runs without the engine."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

import sandbox
from sandbox import Mount, RunResult, RunSpec
from sandbox.cleanup import kill_leftover_processes

RunPython = Callable[..., RunResult]
MakeSpec = Callable[..., RunSpec]
Leftovers = Callable[..., list[dict[str, Any]]]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


def _host_processes_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


def test_children_left_running_are_killed_and_container_removed(
    make_spec: MakeSpec, leftovers: Leftovers, session_labels: dict[str, str], tmp_path: Path
) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 10**6}"  # a sleep length nobody else uses
    spec = make_spec(
        ("sh", "-c", f"sleep {marker} & sleep {marker} >/dev/null 2>&1 & echo started"),
        output_path=tmp_path / "out",
        labels={**session_labels, "marea.case": "children"},
    )
    result = sandbox.run(spec)
    assert result.exit_code == 0
    assert result.stdout == "started\n"
    assert not result.timed_out  # returned when the main process exited, not at the wall limit
    assert _host_processes_with(f"sleep {marker}") == []
    assert leftovers(**{"marea.case": "children"}) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_worker_removes_its_container(
    make_spec: MakeSpec, leftovers: Leftovers, signum: int
) -> None:
    case = f"interrupt-{uuid.uuid4().hex[:8]}"
    spec = make_spec(("sleep", "300"))
    labels = {**spec.labels, "marea.case": case}
    # A program started from a shell has Python's own SIGINT handler; a child of a suite run
    # with SIGINT ignored (a background job, nohup, CI) would inherit the ignore instead, so
    # the worker sets it back, as `marea worker` does for its processes.
    worker = textwrap.dedent(
        f"""
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import sandbox
        spec = sandbox.RunSpec(image={spec.image!r}, command=("sleep", "300"), labels={labels!r})
        sandbox.run(spec)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", worker], cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 30
        while not leftovers(**{"marea.case": case}):
            assert proc.poll() is None, "the worker ended before its container appeared"
            assert time.monotonic() < deadline, "the worker never started a container"
            time.sleep(0.1)
        time.sleep(0.5)  # let the exec start, so the interrupt lands mid-run
        proc.send_signal(signum)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert leftovers(**{"marea.case": case}) == []


def test_cleanup_stale_removes_leftovers_of_a_killed_worker(
    docker_client: docker.DockerClient,
    runner_image: str,
    leftovers: Leftovers,
    session_labels: dict[str, str],
) -> None:
    spec = sandbox.RunSpec(image=runner_image, command=("true",))
    labels = {
        "marea.sandbox": "1",
        "marea.started": str(int(time.time()) - 3600),
        **session_labels,
        "marea.case": "stale",
    }
    # What a worker killed with SIGKILL leaves: a labelled container nobody will remove.
    docker_client.api.create_container(
        spec.image, command=["sleep", "infinity"], labels=labels, network_disabled=True
    )
    fresh = docker_client.api.create_container(
        spec.image,
        command=["sleep", "infinity"],
        labels={**labels, "marea.started": str(int(time.time())), "marea.case": "fresh"},
        network_disabled=True,
    )
    try:
        removed = sandbox.cleanup_stale(600, client=docker_client)
        assert removed >= 1
        assert leftovers(**{"marea.case": "stale"}) == []
        assert len(leftovers(**{"marea.case": "fresh"})) == 1  # younger than max_age: kept
    finally:
        docker_client.api.remove_container(fresh["Id"], force=True)


def test_cleanup_stale_removes_containers_past_their_deadline(
    docker_client: docker.DockerClient,
    runner_image: str,
    leftovers: Leftovers,
    session_labels: dict[str, str],
) -> None:
    """A killed worker's container goes as soon as its run's wall limit has certainly passed."""
    now = int(time.time())
    base = {"marea.sandbox": "1", "marea.started": str(now - 30), **session_labels}
    ids = [
        docker_client.api.create_container(
            runner_image,
            command=["sleep", "infinity"],
            labels={**base, "marea.deadline": str(deadline), "marea.case": case},
            network_disabled=True,
        )["Id"]
        for case, deadline in (("overdue", now - 1), ("running", now + 600))
    ]
    try:
        sandbox.cleanup_stale(3600, client=docker_client)
        assert leftovers(**{"marea.case": "overdue"}) == []
        assert len(leftovers(**{"marea.case": "running"})) == 1
    finally:
        for container_id in ids:
            with contextlib.suppress(docker.errors.NotFound):
                docker_client.api.remove_container(container_id, force=True)


def test_engine_unreachable_fails_closed(runner_image: str, tmp_path: Path) -> None:
    socket_url = f"unix://{tmp_path}/no-engine.sock"
    with pytest.raises(sandbox.EngineUnavailable):
        sandbox.connect(base_url=socket_url)
    # A client made before the engine vanished: pinning the API version skips the handshake.
    bogus = docker.DockerClient(base_url=socket_url, version="1.41")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    spec = sandbox.RunSpec(
        image=runner_image,
        command=("touch", "/shared/ran"),
        mounts=(Mount(source=shared, target="/shared", read_only=False),),
        output_path=tmp_path / "out",
    )
    with pytest.raises(sandbox.EngineUnavailable) as raised:
        sandbox.run(spec, client=bogus)
    # Where the engine was looked for is for the operator's log; the message may reach a page.
    assert "no-engine.sock" in raised.value.detail
    assert "no-engine.sock" not in raised.value.message
    assert raised.value.category == "engine_unavailable"
    assert not (shared / "ran").exists()
    assert not (tmp_path / "out").exists()
    ok, message = sandbox.engine_healthy(bogus)
    assert not ok
    assert "does not answer" in message and "no-engine.sock" not in message


def test_engine_healthy_reports_the_real_engine(docker_client: docker.DockerClient) -> None:
    ok, message = sandbox.engine_healthy(docker_client)
    assert ok, message
    assert docker_client.version()["Version"] in message


def test_root_user_is_refused(make_spec: MakeSpec) -> None:
    with pytest.raises(sandbox.InvalidSpec):
        sandbox.run(make_spec(("id",), user="0:0"))


def test_missing_image_is_reported_as_such(make_spec: MakeSpec) -> None:
    # A registry on a closed local port; the sandbox never pulls, so it is never even tried.
    image = f"127.0.0.1:9/marea-no-such-image:{os.getpid()}"
    with pytest.raises(sandbox.ImageUnavailable) as raised:
        sandbox.run(make_spec(("true",), image=image))
    assert raised.value.message == f"image {image!r} is not on this worker"


def test_shell_fork_bomb_ends_and_leaves_nothing(
    make_spec: MakeSpec, leftovers: Leftovers, tmp_path: Path
) -> None:
    spec = make_spec(("bash", "-c", ":(){ :|:& };:"), output_path=tmp_path / "out")
    result = sandbox.run(spec)
    assert not result.timed_out
    assert "Resource temporarily unavailable" in result.stderr
    assert leftovers() == []


def test_program_that_closes_its_output_is_still_waited_for(
    make_spec: MakeSpec, tmp_path: Path
) -> None:
    # The stream ends at once, but the program goes on to write its output a second later.
    command = ("sh", "-c", "exec >&- 2>&-; sleep 1; echo done > /output/late")
    spec = make_spec(command, output_path=tmp_path / "out")
    result = sandbox.run(spec)
    assert result.exit_code == 0
    assert result.output_files == ["late"]
    assert (result.output_path / "late").read_text() == "done\n"


# Writes its output, then leaves a parent that forks without pause behind (detached) and
# children that hold every other slot of the pids limit: when the program exits, its slot
# goes to that parent at once, so the in-container copy of the outputs cannot start.
PIDS_FULL = """
import os, time
with open("/output/result.txt", "w") as f:
    f.write("kept")
if os.fork() == 0:
    os.setsid()
    hold, _ = os.pipe()
    while True:
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            os.dup2(hold, 0)
            os.execv("/bin/sh", ["sh", "-c", "read forever"])
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        pid = os.fork()
    except OSError:
        break  # the limit is full
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
"""


@pytest.mark.parametrize("attempt", range(3))
def test_outputs_come_out_when_leftovers_hold_every_pid(
    run_python: RunPython, leftovers: Leftovers, session_labels: dict[str, str], attempt: int
) -> None:
    """The copy of the outputs is one more process; the host makes room for it if needed."""
    case = f"pids-full-{attempt}"
    result = run_python(
        PIDS_FULL, limits={"pids": 12}, labels={**session_labels, "marea.case": case}
    )
    assert result.exit_code == 0, result.stderr
    assert not result.output_truncated
    assert result.output_files == ["result.txt"]
    assert (result.output_path / "result.txt").read_text() == "kept"
    assert leftovers(**{"marea.case": case}) == []


def test_leftover_processes_are_killed_from_the_host_and_init_is_kept(
    docker_client: docker.DockerClient, runner_image: str, session_labels: dict[str, str]
) -> None:
    """The host-side net itself: every process of the container dies but its init."""
    container = docker_client.containers.run(
        runner_image, ["sleep", "300"], detach=True, labels=session_labels, pids_limit=16
    )
    try:
        container.reload()
        init_pid = int(container.attrs["State"]["Pid"])
        for _ in range(3):
            container.exec_run(["sh", "-c", "sleep 301 & sleep 302 &"], detach=True)
        deadline = time.monotonic() + 10
        while len(container.top()["Processes"]) < 7 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(container.top()["Processes"]) >= 7
        assert kill_leftover_processes(docker_client.api, container.id, init_pid, 16)
        deadline = time.monotonic() + 10
        while len(container.top()["Processes"]) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        processes = container.top()["Processes"]
        assert [p[-1] for p in processes] == ["sleep 300"]
        container.reload()
        assert container.status == "running"
    finally:
        container.remove(force=True)
