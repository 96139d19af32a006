"""The ways the sandbox can refuse or fail, each a category a caller can act on.

Callers (the judging pipeline, the health page) branch on the class or on
`category`, never on message text; the message is for a person.
"""

from __future__ import annotations

from typing import ClassVar


class SandboxError(Exception):
    """Base of every error this package raises on purpose."""

    category: ClassVar[str] = "sandbox_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.category}: {self.message}"


class EngineUnavailable(SandboxError):
    """The Docker engine cannot be reached, so nothing may run (we fail closed)."""

    category = "engine_unavailable"


class ImageUnavailable(SandboxError):
    """The requested image is neither present locally nor pullable."""

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
