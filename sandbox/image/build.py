"""Build the runner image from Debian packages, once per recipe.

No container registry may be reachable, so the base is made here: debootstrap a
minimal bookworm with the packages in `packages.txt`, add the `runner` user,
`docker import` the tree, then put `Dockerfile` on top. The recipe hash (those
two files plus the setup steps below) is stored as an image label, so a second
build with an unchanged recipe is a single inspect. The debootstrapped tree is
kept in the cache directory so that changing only the Dockerfile rebuilds in
seconds.
"""

from __future__ import annotations

import fcntl
import io
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests

from sandbox.digest import file_chunks, sha256_chunks
from sandbox.engine import connect
from sandbox.errors import ImageBuildError

DEFAULT_IMAGE = "marea-runner:latest"
RECIPE_LABEL = "marea.recipe"
BASE_REPOSITORY = "marea-runner-base"
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
RUNNER_UID = 1000
RUNNER_NAME = "runner"

RECIPE_DIR = Path(__file__).resolve().parent
PACKAGES_FILE = RECIPE_DIR / "packages.txt"
DOCKERFILE = RECIPE_DIR / "Dockerfile"

# Run inside the debootstrapped tree with chroot; part of the recipe hash.
ROOTFS_SETUP: tuple[tuple[str, ...], ...] = (
    ("groupadd", "--gid", str(RUNNER_UID), RUNNER_NAME),
    (
        "useradd",
        "--uid",
        str(RUNNER_UID),
        "--gid",
        str(RUNNER_UID),
        "--create-home",
        "--shell",
        "/bin/sh",
        RUNNER_NAME,
    ),
    ("apt-get", "clean"),
    ("sh", "-c", "rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* /tmp/* || true"),
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOutcome:
    """What `build_image` did; `built` is False when the cached image was already current."""

    image: str
    image_id: str
    recipe: str
    built: bool
    seconds: float


def packages() -> list[str]:
    lines = PACKAGES_FILE.read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def rootfs_hash() -> str:
    """Identity of the debootstrapped tree: suite, packages and setup steps."""
    return sha256_chunks(
        [SUITE.encode(), "\n".join(packages()).encode(), repr(ROOTFS_SETUP).encode()]
    )


def recipe_hash() -> str:
    """Identity of the whole image: the tree plus the Dockerfile on top."""
    return sha256_chunks([rootfs_hash().encode(), *file_chunks(DOCKERFILE)])


def image_is_current(client: docker.DockerClient, image: str = DEFAULT_IMAGE) -> bool:
    """True when `image` exists and carries the current recipe's label."""
    try:
        labels = client.images.get(image).labels or {}
    except docker.errors.ImageNotFound:
        return False
    return labels.get(RECIPE_LABEL) == recipe_hash()


def build_image(
    cache_dir: Path,
    *,
    image: str = DEFAULT_IMAGE,
    client: docker.DockerClient | None = None,
    mirror: str = DEFAULT_MIRROR,
    force: bool = False,
    progress: Progress = print,
) -> BuildOutcome:
    """Make `image` match the recipe; a no-op (one inspect) when it already does."""
    started = time.monotonic()
    client = connect(client, timeout=600)
    recipe = recipe_hash()
    if not force and image_is_current(client, image):
        progress(f"{image} is up to date (recipe {recipe[:12]})")
        return _outcome(client, image, recipe, built=False, started=started)

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / "build.lock", "w") as lock:
        # Two builders (say `make` and a test session) would trample one cached tree.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and image_is_current(client, image):
            progress(f"{image} was built meanwhile by another process")
            return _outcome(client, image, recipe, built=False, started=started)
        base = f"{BASE_REPOSITORY}:{rootfs_hash()[:16]}"
        if force or not _image_exists(client, base):
            rootfs = _ensure_rootfs(cache_dir, mirror, force=force, progress=progress)
            _import_rootfs(client, rootfs, base, progress)
        else:
            progress(f"base {base} already imported")
        _build_top_layer(client, base, image, recipe, progress)
    outcome = _outcome(client, image, recipe, built=True, started=started)
    progress(f"built {image} ({outcome.image_id[:19]}) in {outcome.seconds:.0f} s")
    return outcome


def _outcome(
    client: docker.DockerClient, image: str, recipe: str, *, built: bool, started: float
) -> BuildOutcome:
    image_id = client.images.get(image).id or ""
    return BuildOutcome(image, image_id, recipe, built, time.monotonic() - started)


def _image_exists(client: docker.DockerClient, name: str) -> bool:
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def _ensure_rootfs(cache_dir: Path, mirror: str, *, force: bool, progress: Progress) -> Path:
    """The debootstrapped tree for the current recipe, reused when a finished one is cached."""
    key = rootfs_hash()[:16]
    rootfs = cache_dir / f"rootfs-{key}"
    done = cache_dir / f"rootfs-{key}.done"
    if done.exists() and rootfs.is_dir() and not force:
        progress(f"reusing cached root filesystem {rootfs}")
        return rootfs
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise ImageBuildError(
                f"`{tool}` is not installed; on Debian run `apt-get install debootstrap`"
            )
    cache_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(rootfs, ignore_errors=True)
    done.unlink(missing_ok=True)
    progress(f"debootstrap {SUITE} (minbase + {', '.join(packages())}) into {rootfs}")
    _stream(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(packages())}",
            SUITE,
            str(rootfs),
            mirror,
        ],
        progress,
        step="debootstrap",
    )
    for command in ROOTFS_SETUP:
        _stream(["chroot", str(rootfs), *command], progress, step="root filesystem setup")
    done.write_text(rootfs_hash() + "\n")
    for stale in cache_dir.glob("rootfs-*"):  # trees of older recipes
        if stale.name not in (rootfs.name, done.name):
            progress(f"removing stale cached tree {stale}")
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    return rootfs


def _stream(argv: list[str], progress: Progress, *, step: str) -> None:
    """Run a host tool, relaying its output line by line so a long step shows life."""
    try:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
    except OSError as exc:
        raise ImageBuildError(f"{step}: cannot start {argv[0]}: {exc}") from exc
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail = [*tail[-19:], line]
        progress(f"  {line}")
    if proc.wait() != 0:
        detail = "\n".join(tail)
        raise ImageBuildError(
            f"{step} failed (exit {proc.returncode}); are you root and is the Debian mirror "
            f"reachable? Last output:\n{detail}"
        )


def _tar_chunks(rootfs: Path) -> Iterator[bytes]:
    proc = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", "-", "."], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 20):
        yield chunk
    if proc.wait() != 0:
        raise ImageBuildError(f"tar of {rootfs} failed (exit {proc.returncode})")


def _import_rootfs(
    client: docker.DockerClient, rootfs: Path, base: str, progress: Progress
) -> None:
    progress(f"docker import {rootfs} as {base}")
    repository, tag = base.rsplit(":", 1)
    try:
        client.api.import_image_from_data(_tar_chunks(rootfs), repository=repository, tag=tag)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise ImageBuildError(f"docker import of {rootfs} failed: {exc}") from exc


def _build_top_layer(
    client: docker.DockerClient, base: str, image: str, recipe: str, progress: Progress
) -> None:
    progress(f"docker build {image} on {base}")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        data = DOCKERFILE.read_bytes()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    try:
        for event in client.api.build(
            fileobj=context,
            custom_context=True,
            tag=image,
            buildargs={"BASE": base},
            labels={RECIPE_LABEL: recipe},
            network_mode="host",
            rm=True,
            forcerm=True,
            decode=True,
        ):
            if "error" in event:
                raise ImageBuildError(f"docker build of {image} failed: {event['error']}")
            text = str(event.get("stream", "")).strip()
            if text:
                progress(f"  {text}")
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise ImageBuildError(f"docker build of {image} failed: {exc}") from exc
