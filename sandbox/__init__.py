"""Run one command in a hardened, throw-away Docker container.

This layer knows nothing of challenges, teams or scores: it takes an image, a
command, some mounts and limits, and reports what happened. When the Docker
engine cannot be reached it refuses (`EngineUnavailable`); it never falls back
to running anything on the host.

It also holds the project's one sha256 reader (`sha256_file`, `Sha256Stream`), being the
lowest layer that needs one; judging and app hash through it (see `sandbox.digest`).
"""

from sandbox.cleanup import cleanup_stale
from sandbox.digest import Sha256Stream, file_chunks, read_chunks, sha256_chunks, sha256_file
from sandbox.engine import connect, engine_healthy
from sandbox.errors import (
    EngineUnavailable,
    ImageBuildError,
    ImageUnavailable,
    InvalidSpec,
    SandboxError,
    SandboxFailure,
)
from sandbox.image import (
    DEFAULT_IMAGE,
    DEFAULT_MIRROR,
    BuildOutcome,
    build_image,
    image_is_current,
)
from sandbox.runner import run
from sandbox.types import Limits, Mount, RunResult, RunSpec

__all__ = [
    "DEFAULT_IMAGE",
    "DEFAULT_MIRROR",
    "BuildOutcome",
    "EngineUnavailable",
    "ImageBuildError",
    "ImageUnavailable",
    "InvalidSpec",
    "Limits",
    "Mount",
    "RunResult",
    "RunSpec",
    "SandboxError",
    "SandboxFailure",
    "Sha256Stream",
    "build_image",
    "cleanup_stale",
    "connect",
    "engine_healthy",
    "file_chunks",
    "image_is_current",
    "read_chunks",
    "run",
    "sha256_chunks",
    "sha256_file",
]
