"""The ways the sandbox can refuse or fail, each a category a caller can act on.

Callers (the judging pipeline, the health page) branch on the class or on
`category`, never on message text; the message is for a person.

The message is written by this package and safe to show on any page: it never
quotes the Docker engine. What the engine said (which may echo a registry's
answer, a socket path or a host name) goes into `detail`, which is logged and
shown only in operators' terminals.
"""

from __future__ import annotations

from typing import ClassVar


class SandboxError(Exception):
    """Base of every error this package raises on purpose."""

    category: ClassVar[str] = "sandbox_error"

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # engine text: logs and operators' terminals only

    def __str__(self) -> str:
        return f"{self.category}: {self.message}"


class EngineUnavailable(SandboxError):
    """The Docker engine cannot be reached, so nothing may run (we fail closed)."""

    category = "engine_unavailable"


class ImageUnavailable(SandboxError):
    """The requested image is not on this engine (the sandbox never pulls one)."""

    category = "image_unavailable"


class InvalidSpec(SandboxError):
    """The run request itself is wrong (a programming or configuration error)."""

    category = "invalid_spec"


class SandboxFailure(SandboxError):
    """The engine answered but failed part-way through a run; the container was removed."""

    category = "sandbox_failure"


class ImageBuildError(SandboxError):
    """Building the runner image failed; the message names the step and the way out."""

    category = "image_build"
