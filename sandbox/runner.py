"""Run one command in a fresh, hardened container and report what happened.

Why the command runs as an exec rather than as the container's main process:
output files live on a size-capped tmpfs, and a tmpfs vanishes with its
container, while Docker's copy API cannot read tmpfs mounts at all. So the
container's PID 1 is a `sleep` that keeps it (and its tmpfs) alive; the user
command is exec'd and timed from here; once it has exited, a second exec kills
whatever it left running and streams the output directory out as tar; then the
container is removed. Exit code, OOM kills and peak memory are read while the
container still exists. The container is removed on every path out of `run`.

The image must already be on the engine: `run` never pulls. An image name can
carry a registry host (`127.0.0.1:8200/x:v1`), so pulling at judging time would
let whoever names the image make the engine send requests to any address. The
engine's error text is logged here and never put into the raised error's
message, which the app may show on a page.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from sandbox.capture import TailBuffer
from sandbox.cgroups import MemoryReport, read_memory
from sandbox.cleanup import interrupt_guard, kill_leftover_processes, remove, track
from sandbox.engine import connect
from sandbox.errors import (
    EngineUnavailable,
    ImageUnavailable,
    InvalidSpec,
    SandboxError,
    SandboxFailure,
)
from sandbox.limits import environment, host_config, labels, validate
from sandbox.outputs import CopiedOutputs, extract
from sandbox.types import RunResult, RunSpec

KEEPALIVE = ("sleep", "infinity")
MAX_OUTPUT_FILES = 10_000
# Kill everything the command left behind (PID 1 is immune from inside), then tar the outputs.
COLLECT_SCRIPT = 'kill -KILL -1 2>/dev/null; cd "$1" && exec tar -cf - .'
_POLL_FIRST_S = 0.05
_POLL_MAX_S = 0.5
_DRAIN_S = 5.0

_ENGINE_ERRORS = (docker.errors.DockerException, requests.RequestException)

log = logging.getLogger(__name__)


@dataclass
class _Command:
    """The exec'd user command: its id, its capped streams, and the thread pumping them."""

    exec_id: str
    stdout: TailBuffer
    stderr: TailBuffer
    reader: threading.Thread
    started: float


def run(spec: RunSpec, *, client: docker.DockerClient | None = None) -> RunResult:
    """Run `spec.command` in a fresh sandbox container; never runs anything outside one.

    Raises `EngineUnavailable` when the engine cannot be reached, `ImageUnavailable` when
    the image is not on the engine (it is never pulled), `InvalidSpec`, or `SandboxFailure`
    when the engine fails mid-run. A program that
    crashes, times out or runs out of memory is a normal result, not an error.
    """
    validate(spec)
    client = connect(client)
    api = client.api
    output_path = _fresh_output_path(spec.output_path)
    container_id: str | None = None
    with interrupt_guard():
        try:
            image_id = _resolve_image(api, spec.image)
            container_id = _create(api, spec, image_id)
            api.start(container_id)
            pid = int(api.inspect_container(container_id)["State"]["Pid"])
            command = _start_command(api, container_id, spec)
            exited = _wait_for_exit(api, command, spec.limits.wall_seconds)
            duration = time.monotonic() - command.started
            memory = _memory(api, container_id, pid, exited)
            if not exited:
                api.kill(container_id)
            copied = _collect_outputs(api, container_id, pid, spec, output_path) if exited else None
            _drain(api, container_id, command)
            exit_code = _exit_code(api, command.exec_id) if exited else None
            oom = _oom_killed(api, container_id, memory)
        except BaseException as exc:
            if spec.output_path is None:  # ours, and no result will point at it
                shutil.rmtree(output_path, ignore_errors=True)
            if isinstance(exc, _ENGINE_ERRORS):
                raise _engine_error(exc) from exc
            raise
        finally:
            if container_id is not None:
                with contextlib.suppress(*_ENGINE_ERRORS):
                    remove(api, container_id)
    copied = copied or CopiedOutputs()
    return RunResult(
        exit_code=exit_code,
        timed_out=not exited,
        oom_killed=oom,
        duration_s=duration,
        peak_memory_bytes=memory.peak_bytes,
        stdout=command.stdout.text(),
        stderr=command.stderr.text(),
        stdout_truncated_bytes=command.stdout.truncated_bytes,
        stderr_truncated_bytes=command.stderr.truncated_bytes,
        output_path=output_path,
        output_truncated=copied.truncated,
        image_id=image_id,
        output_files=copied.files,
    )


def _fresh_output_path(requested: Path | None) -> Path:
    if requested is None:
        return Path(tempfile.mkdtemp(prefix="marea-output-"))
    requested.mkdir(parents=True, exist_ok=True)
    if any(requested.iterdir()):
        raise InvalidSpec(f"output_path {requested} must be empty: outputs are never merged")
    return requested


def _resolve_image(api: docker.APIClient, image: str) -> str:
    """The id of an image already on the engine; a local lookup, never a pull.

    The container is then created from the id, so the engine has no name left to
    resolve against a registry.
    """
    try:
        return str(api.inspect_image(image)["Id"])
    except docker.errors.APIError as exc:
        if not exc.is_client_error():  # the engine failed: reported as a failed step
            raise
        # Not found, or a name the engine cannot parse: either way, not here.
        log.warning("image %r is not on this engine: %s", image, exc)
        raise ImageUnavailable(
            f"image {image!r} is not on this worker",
            detail=f"build it with `marea sandbox build-image`, or load it onto this worker's "
            f"engine (`docker load`); workers never pull images. Engine said: {exc}",
        ) from exc


def _create(api: docker.APIClient, spec: RunSpec, image_id: str) -> str:
    response = api.create_container(
        image=image_id,
        entrypoint=[KEEPALIVE[0]],
        command=list(KEEPALIVE[1:]),
        user=spec.user,
        working_dir=spec.workdir,
        environment=environment(spec),
        labels=labels(spec, time.time()),
        hostname="sandbox",
        network_disabled=True,
        stop_signal="SIGKILL",
        host_config=api.create_host_config(**host_config(spec)),
    )
    container_id = str(response["Id"])
    track(api, container_id)
    return container_id


def _start_command(api: docker.APIClient, container_id: str, spec: RunSpec) -> _Command:
    exec_id = str(
        api.exec_create(
            container_id,
            list(spec.command),
            stdout=True,
            stderr=True,
            user=spec.user,
            workdir=spec.workdir,
        )["Id"]
    )
    stdout = TailBuffer(spec.limits.log_bytes)
    stderr = TailBuffer(spec.limits.log_bytes)
    started = time.monotonic()
    stream = api.exec_start(exec_id, stream=True, demux=True)
    reader = threading.Thread(
        target=_pump,
        args=(stream, stdout, stderr, spec.live),
        name=f"sandbox-{exec_id[:12]}",
        daemon=True,
    )
    reader.start()
    return _Command(exec_id, stdout, stderr, reader, started)


def _pump(
    stream: Iterator[tuple[bytes | None, bytes | None]],
    out: TailBuffer,
    err: TailBuffer,
    live: Callable[[bytes, bytes], None] | None = None,
) -> None:
    """Copy the exec's streams into the tail buffers until the engine closes them."""
    with contextlib.suppress(*_ENGINE_ERRORS, OSError, ValueError):
        for stdout, stderr in stream:
            if stdout:
                out.write(stdout)
            if stderr:
                err.write(stderr)
            if live is not None and (stdout or stderr):
                with contextlib.suppress(Exception):  # a live view never stops a run
                    live(stdout or b"", stderr or b"")


def _wait_for_exit(api: docker.APIClient, command: _Command, wall_seconds: float) -> bool:
    """True when the command's main process exited within the wall-clock limit.

    The stream ending is the fast signal, but only the engine's exec state is
    trusted: a program may close its output and keep running, and leftover
    children may keep the stream open after the program has exited.
    """
    deadline = command.started + wall_seconds
    pause = _POLL_FIRST_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        stream_open = command.reader.is_alive()
        if stream_open:
            command.reader.join(min(pause, remaining))
        if not api.exec_inspect(command.exec_id)["Running"]:
            return True
        if not stream_open:
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, _POLL_MAX_S)


def _drain(api: docker.APIClient, container_id: str, command: _Command) -> None:
    """Let the reader finish; if something still holds the stream open, kill the container."""
    command.reader.join(0.5)
    if command.reader.is_alive():
        api.kill(container_id)
        command.reader.join(_DRAIN_S)


def _exit_code(api: docker.APIClient, exec_id: str) -> int | None:
    for _ in range(20):
        info = api.exec_inspect(exec_id)
        if not info["Running"] and info["ExitCode"] is not None:
            return int(info["ExitCode"])
        time.sleep(0.05)
    return None


def _memory(api: docker.APIClient, container_id: str, pid: int, alive: bool) -> MemoryReport:
    """Kernel figures when this host can read them, else whatever the stats API says."""
    report = read_memory(pid)
    if report.peak_bytes is not None:
        return report
    with contextlib.suppress(*_ENGINE_ERRORS, KeyError, TypeError):
        stats: dict[str, Any] = api.stats(container_id, stream=False, one_shot=True)
        peak = stats["memory_stats"].get("max_usage")
        return MemoryReport(int(peak) if peak else None, report.oom_kills)
    return report


def _oom_killed(api: docker.APIClient, container_id: str, memory: MemoryReport) -> bool:
    if memory.oom_kills is not None:
        return memory.oom_kills > 0
    with contextlib.suppress(*_ENGINE_ERRORS, KeyError):
        return bool(api.inspect_container(container_id)["State"]["OOMKilled"])
    return False


def _collect_outputs(
    api: docker.APIClient, container_id: str, init_pid: int, spec: RunSpec, dest: Path
) -> CopiedOutputs:
    """Kill leftovers and copy the output tmpfs out; a failure here only loses outputs.

    The copy is an exec, and an exec is one more process in the container: when processes
    the program left behind hold every slot of its pids limit (a detached fork bomb), the
    exec cannot start and no archive comes out. Then the leftovers are killed from this host
    (`kill_leftover_processes`) and the copy is tried once more.
    """
    copied = _copy_outputs(api, container_id, spec, dest)
    if not copied.started and kill_leftover_processes(
        api, container_id, init_pid, spec.limits.pids
    ):
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        copied = _copy_outputs(api, container_id, spec, dest)
    return copied


def _copy_outputs(
    api: docker.APIClient, container_id: str, spec: RunSpec, dest: Path
) -> CopiedOutputs:
    try:
        exec_id = api.exec_create(
            container_id,
            ["sh", "-c", COLLECT_SCRIPT, "sh", spec.output_dir],
            stdout=True,
            stderr=False,
            user=spec.user,
        )["Id"]
        stream = api.exec_start(exec_id, stream=True, demux=True)
        try:
            chunks = (stdout for stdout, _ in stream if stdout)
            return extract(
                chunks, dest, max_bytes=spec.limits.output_bytes, max_files=MAX_OUTPUT_FILES
            )
        finally:
            # Stopping early (at a cap, or at a file the host cannot write) leaves tar blocked
            # on a full pipe, and the engine then holds the container's removal for ~20 s.
            with contextlib.suppress(*_ENGINE_ERRORS, OSError):
                stream.close()
    except _ENGINE_ERRORS:
        # The engine refused the copy (e.g. the container vanished): report what we have.
        return CopiedOutputs(truncated=True)


def _engine_error(exc: Exception) -> SandboxError:
    """A sandbox error whose message names what failed; the engine's words go to the log."""
    log.warning("Docker engine error during a sandbox run: %s", exc)
    if isinstance(exc, requests.ConnectionError):
        return EngineUnavailable("lost the Docker engine during the run", detail=str(exc))
    return SandboxFailure("the Docker engine failed a step of the run", detail=str(exc))
