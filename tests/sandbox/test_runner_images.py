"""Runner images come from the administrator's list and are never pulled, as a class.

An image name can carry a registry address, so a bundle naming `127.0.0.1:PORT/x:v1` could
make the Docker engine send requests wherever it likes, and the engine's answer (part of the
registry's reply) used to come back in the failure detail. Each name of the table is tried
at every layer: the real validator refuses it with a located error unless the site allows
it; the real sandbox, the real pipeline and the real worker (with the name allowed, but the
image absent, as after a misconfiguration) never pull it, fail with "image X is not on this
worker", and no page-bound text carries what the engine said. A fake registry on a local port
counts every connection: the control pull at the end shows it would see one.
"""

from __future__ import annotations

import re
import shutil
import socketserver
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from ruamel.yaml import YAML
from sqlmodel import Session, select

import sandbox
from app.bundles import ErrorCategory, validate_bundle
from app.models import SubmissionEvent
from app.submissions.access import read_logs
from app.submissions.models import Status
from judging import judge
from judging.spec import BuiltinScoring, ColumnSpec, JudgeRequest, ScoringSpec
from tests.app.queue.conftest import VALID_BUNDLE, Stack, make_bundle, stack
from tests.sandbox.conftest import spec_for

__all__ = ["stack"]

REGISTRY_SECRET = f"registry-says-{uuid.uuid4().hex}"


class _Registry(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.connections = 0
        self.lock = threading.Lock()


class _Answer(socketserver.BaseRequestHandler):
    """Whatever is asked, an HTTP answer whose body is the secret a leak would carry."""

    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _Registry)
        with server.lock:
            server.connections += 1
        self.request.settimeout(2)
        try:
            self.request.recv(65536)
            body = f'{{"errors": [{{"message": "{REGISTRY_SECRET}"}}]}}'.encode()
            head = (
                f"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                f"Docker-Distribution-Api-Version: registry/2.0\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            self.request.sendall(head.encode() + body)
        except OSError:
            pass


@pytest.fixture(scope="module")
def registry() -> Iterator[_Registry]:
    server = _Registry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class Name:
    id: str
    template: str  # {port}: the fake registry's port

    def image(self, registry: _Registry) -> str:
        return self.template.format(port=registry.server_address[1])


NAMES = [
    Name("loopback-registry", "127.0.0.1:{port}/x:v1"),
    Name("localhost-registry", "localhost:{port}/library/tool:latest"),
    Name("registry-digest", "127.0.0.1:{port}/x@sha256:" + "0" * 64),
    Name("docker-hub", "docker.io/library/python:3.11-marea-absent"),
    Name("bare-name", "marea-absent-image:1"),
]


def _no_leak(*texts: str) -> None:
    for text in texts:
        assert REGISTRY_SECRET not in text
        assert "registry-says" not in text


@pytest.mark.parametrize("where", ["top", "phase"])
@pytest.mark.parametrize("name", NAMES, ids=lambda n: n.id)
def test_the_validator_refuses_an_image_the_site_does_not_allow(
    name: Name, where: str, registry: _Registry, tmp_path: Path
) -> None:
    image = name.image(registry)
    before = registry.connections
    bundle = Path(shutil.copytree(VALID_BUNDLE, tmp_path / "bundle"))
    config = bundle / "challenge.yaml"
    text = config.read_text()
    written = {
        "top": ("runner_image: null\nscoring:", f"runner_image: '{image}'  #!\nscoring:"),
        "phase": (
            "    runner_image: null\n  - name: final",
            f"    runner_image: '{image}'  #!\n  - name: final",
        ),
    }[where]
    assert text.count(written[0]) == 1
    text = text.replace(*written)
    config.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.endswith("#!"))
    column = text.splitlines()[line - 1].index(f"'{image}'") + 1
    with validate_bundle(bundle) as report:
        assert [(e.file, e.line, e.column, e.category) for e in report.errors] == [
            ("challenge.yaml", line, column, ErrorCategory.RULE)
        ]
        assert (
            f"runner_image '{image}' is not an image this site allows" in report.errors[0].message
        )
        assert "administrator" in report.errors[0].hint
    with validate_bundle(bundle, images={"marea-runner:latest", image}) as allowed:
        assert allowed.ok, [str(e) for e in allowed.errors]
    assert registry.connections == before


@pytest.mark.parametrize("name", NAMES, ids=lambda n: n.id)
def test_the_sandbox_never_pulls(name: Name, registry: _Registry, tmp_path: Path) -> None:
    image = name.image(registry)
    before = registry.connections
    with pytest.raises(sandbox.ImageUnavailable) as raised:
        sandbox.run(spec_for(image, ("true",), output_path=tmp_path / "out"))
    assert raised.value.message == f"image {image!r} is not on this worker"
    assert str(raised.value) == f"image_unavailable: image {image!r} is not on this worker"
    _no_leak(raised.value.message)
    assert registry.connections == before


@pytest.mark.parametrize("name", NAMES, ids=lambda n: n.id)
def test_the_pipeline_reports_an_absent_image_as_ours(
    name: Name, registry: _Registry, tmp_path: Path
) -> None:
    image = name.image(registry)
    before = registry.connections
    scoring = ScoringSpec(
        columns=(ColumnSpec("rmse", metric="rmse"),),
        method=BuiltinScoring("answers.csv", "id", "wave_height", "wave_height", "split"),
        reference_dir=VALID_BUNDLE / "reference",
    )
    request = JudgeRequest(
        VALID_BUNDLE / "baseline" / "predictions.csv", "predictions", image, scoring
    )
    result = judge(request, workdir=tmp_path / "judge")
    assert result.failure is not None
    assert str(result.failure.category) == "internal_error"
    assert result.failure.detail == f"image_unavailable: image {image!r} is not on this worker"
    assert "not your fault" in result.failure.message
    _no_leak(result.failure.message, result.failure.detail, str(result.logs.to_json()))
    assert registry.connections == before


@pytest.mark.parametrize("name", NAMES[:2], ids=lambda n: n.id)
def test_the_worker_never_pulls_an_allowed_but_absent_image(
    name: Name, registry: _Registry, stack: Stack, tmp_path: Path
) -> None:
    """The administrator allowed the name but never put the image on the worker."""
    image = name.image(registry)
    before = registry.connections
    stack.runtime.settings.allowed_runner_images = [image]
    bundle = make_bundle(tmp_path / "bundle")
    yaml = YAML()
    config = yaml.load((bundle / "challenge.yaml").read_text())
    config["runner_image"] = image
    with (bundle / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    challenge = stack.load(bundle)
    team = stack.team(challenge, "Delfini")
    stack.start_worker(MAREA_ALLOWED_RUNNER_IMAGES=image)
    submission_id = stack.submit(challenge, team, VALID_BUNDLE / "baseline" / "predictions.csv")
    stack.dispatch()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.failed, 90, "the failure"
    )
    row = stack.submission(submission_id)
    assert row.failure == "internal_error"
    organiser = read_logs(stack.runtime.store, row.logs_sha256, organiser=True)
    team_view = read_logs(stack.runtime.store, row.logs_sha256, organiser=False)
    assert organiser["organiser"]["detail"] == (
        f"image_unavailable: image {image!r} is not on this worker"
    )
    with Session(stack.runtime.engine) as session:
        events = session.exec(
            select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id)
        ).all()
    _no_leak(row.message, str(organiser), str(team_view), *(e.detail for e in events))
    assert registry.connections == before
    # The engine's own words are for the operator, in the worker's log.
    logs = "\n".join(p.read_text() for p in stack.log_dir.glob("*.log"))
    assert re.search(rf"image '{re.escape(image)}' is not on this engine", logs), logs[-2000:]


def test_control_a_pull_would_have_reached_the_fake_registry(
    registry: _Registry, docker_client: docker.DockerClient
) -> None:
    """What the sandbox no longer does, done by hand: the fake registry sees it."""
    before = registry.connections
    with pytest.raises(docker.errors.DockerException):
        docker_client.api.pull(NAMES[0].image(registry))
    assert registry.connections > before


def test_an_image_taken_off_the_list_is_never_run_again(stack: Stack, tmp_path: Path) -> None:
    """Allowed when the bundle was loaded, no longer when judging: the worker refuses it, even
    though the image is present on the engine."""
    engine = docker.from_env()
    alias = f"marea-runner:offlist-{uuid.uuid4().hex[:8]}"
    engine.images.get(stack.runtime.settings.runner_image).tag(alias)
    try:
        stack.runtime.settings.allowed_runner_images = [alias]
        bundle = make_bundle(tmp_path / "bundle")
        yaml = YAML()
        config = yaml.load((bundle / "challenge.yaml").read_text())
        config["runner_image"] = alias
        with (bundle / "challenge.yaml").open("w") as fh:
            yaml.dump(config, fh)
        challenge = stack.load(bundle)
        team = stack.team(challenge, "Delfini")
        stack.start_worker()  # the site's list no longer names the alias
        submission_id = stack.submit(challenge, team, VALID_BUNDLE / "baseline" / "predictions.csv")
        stack.dispatch()
        stack.wait_for(
            lambda: stack.submission(submission_id).status == Status.failed, 120, "the failure"
        )
        row = stack.submission(submission_id)
        assert row.failure == "internal_error" and "not in your submission" in row.message
        with Session(stack.runtime.engine) as session:
            details = [
                e.detail
                for e in session.exec(
                    select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id)
                )
            ]
        assert any("ImageNotAllowed" in (d or "") for d in details), details
        containers = engine.containers.list(all=True, filters={"ancestor": alias})
        assert containers == [], "a container was started from the refused image"
    finally:
        engine.images.remove(alias, noprune=True)
