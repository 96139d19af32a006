"""The runner image: its recipe (`packages.txt`, `Dockerfile`) and the code that builds it."""

from sandbox.image.build import (
    DEFAULT_IMAGE,
    DEFAULT_MIRROR,
    RECIPE_LABEL,
    RUNNER_NAME,
    RUNNER_UID,
    BuildOutcome,
    build_image,
    image_is_current,
    recipe_hash,
)

__all__ = [
    "DEFAULT_IMAGE",
    "DEFAULT_MIRROR",
    "RECIPE_LABEL",
    "RUNNER_NAME",
    "RUNNER_UID",
    "BuildOutcome",
    "build_image",
    "image_is_current",
    "recipe_hash",
]
