"""The world the attack catalogue runs in: a worker's files, its secrets, and listeners to reach.

`lab` stands in for one worker machine: the challenge's judging files laid out by the real
`app.queue.judge_request.materialise` (hidden reference with a secret marker, test inputs), another
team's submission and work directory next to ours, service secrets (a canary) in this
process's environment, and TCP/UDP listeners on every address of this machine. Nothing here
contacts another machine: the listeners are ours, on our own addresses.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.queue.judge_request import ChallengeDirs, FileSource, materialise
from tests.net_helpers import Listeners, host_addresses

IDS = ["b1", "b2", "b3", "b4", "b5", "b6"]
TRUTH = [14.0, 15.5, 13.0, 16.0, 17.5, 12.0]
SPLIT = ["public", "public", "public", "private", "private", "private"]
GUESS = [14.5, 15.0, 13.0, 18.0, 17.0, 12.0]
# What a worker's environment holds that no submission may ever see.
SECRET_NAMES = (
    "MAREA_SECRET_KEY",
    "MAREA_DATABASE_URL",
    "MAREA_REDIS_URL",
    "MAREA_OIDC_PROVIDERS",
    "AWS_SECRET_ACCESS_KEY",
)


def processes_with(marker: str) -> list[str]:
    """Every process on this host whose command line holds `marker` (containers' included)."""
    hits: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            words = cmdline.replace(b"\0", b" ").decode(errors="replace")
            hits.append(f"{entry.name}: {words}")
    return hits


@dataclass(frozen=True)
class Lab:
    """One worker machine's worth of things an attacker would like to reach."""

    root: Path
    dirs: ChallengeDirs
    work_root: Path
    uploads: Path
    other_team_dir: Path
    hidden: str  # in the reference data only
    other: str  # in the other team's files only
    canary: str  # in this process's environment only
    listeners: Listeners
    image: str
    labels: dict[str, str]

    @property
    def reference_file(self) -> Path:
        return self.dirs.reference / "answers.csv"

    def context(self) -> dict[str, Any]:
        """What a hostile program is told: paths and addresses, never the secrets."""
        return {
            "host": {
                "reference_dir": str(self.dirs.reference),
                "reference_file": str(self.reference_file),
                "other_team_dir": str(self.other_team_dir),
                "other_team_file": str(self.other_team_dir / "secret_model.py"),
                "work_root": str(self.work_root),
                "uploads": str(self.uploads),
            },
            "host_addresses": host_addresses(),
            "tcp": self.listeners.addresses("tcp"),
            "udp": self.listeners.addresses("udp"),
            "secret_names": list(SECRET_NAMES),
        }


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, runner_image: str, labels: dict[str, str]
) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("attacks")
    hidden, other, canary = (f"{what}-{uuid.uuid4().hex}" for what in ("hidden", "other", "canary"))
    bundle = root / "bundle"
    rows = "".join(f"{i},{t},{s},{hidden}\n" for i, t, s in zip(IDS, TRUTH, SPLIT, strict=True))
    inputs = "id,guess\n" + "".join(f"{i},{g}\n" for i, g in zip(IDS, GUESS, strict=True))
    files = [
        FileSource(
            "reference",
            "reference/answers.csv",
            _write(bundle / "answers.csv", "id,sst,split,note\n" + rows),
        ),
        FileSource(
            "reference", "reference/notes/secret.txt", _write(bundle / "secret.txt", hidden)
        ),
        FileSource("input", "inputs/test.csv", _write(bundle / "test.csv", inputs)),
    ]
    dirs = materialise(files, root / "challenge")
    work_root = root / "work"
    other_team_dir = work_root / "sub-7-other" / "judge" / "code"
    other_team_dir.mkdir(parents=True)
    (other_team_dir / "secret_model.py").write_text(f"WEIGHTS = {other!r}\n")
    uploads = root / "uploads"
    uploads.mkdir()
    (uploads / "other-team.py").write_text(f"# {other}\n")

    _prove_the_process_check_sees_strays()
    listeners = Listeners.open(["127.0.0.1", "::1", *host_addresses()])
    _prove_the_listeners_hear(listeners)
    saved = {name: os.environ.get(name) for name in SECRET_NAMES}
    for name in SECRET_NAMES:
        os.environ[name] = (
            f"postgresql://marea:{canary}@127.0.0.1/marea" if "URL" in name else canary
        )
    try:
        yield Lab(
            root=root,
            dirs=dirs,
            work_root=work_root,
            uploads=uploads,
            other_team_dir=other_team_dir,
            hidden=hidden,
            other=other,
            canary=canary,
            listeners=listeners,
            image=runner_image,
            labels=labels,
        )
    finally:
        listeners.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(root, ignore_errors=True)


def _prove_the_listeners_hear(listeners: Listeners) -> None:
    """The network check must be able to fail: each listener hears us from this machine."""
    expected = len(listeners.tcp) + len(listeners.udp)
    clients = []
    for host, port in listeners.addresses("tcp"):
        clients.append(socket.create_connection((host, port), timeout=2))
    for host, port in listeners.addresses("udp"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as client:
            client.sendto(b"self-test", (host, port))
    heard: list[str] = []
    for _ in range(100):
        heard += listeners.received()
        if len(heard) >= expected:
            break
        time.sleep(0.02)
    for client in clients:
        client.close()
    assert len(heard) == expected, heard
    assert listeners.received() == []


def _prove_the_process_check_sees_strays() -> None:
    """The stray-process check must be able to fail: it has to see a process we start."""
    marker = f"marea-stray-{uuid.uuid4().hex}"
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    try:
        for _ in range(100):
            if processes_with(marker):
                break
            time.sleep(0.02)
        assert processes_with(marker), "the stray-process check cannot see a process it should"
    finally:
        stray.kill()
        stray.wait()
    assert processes_with(marker) == []
