"""Which compute pool a phase runs in, and how many GPUs its program gets.

Read from the stored bundle (`Challenge.config`), by the loader to fill `Phase.pool` (which
dispatch reads) and by the queue to build the sandbox's limits: one rule for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.settings import DEFAULT_POOL


def _compute(config: Mapping[str, Any], phase: Mapping[str, Any]) -> Mapping[str, Any]:
    """A phase's `compute` replaces the challenge's whole; neither is the default pool."""
    return phase.get("compute") or config.get("compute") or {}


def phase_pool(config: Mapping[str, Any], phase: Mapping[str, Any]) -> str:
    return str(_compute(config, phase).get("pool") or DEFAULT_POOL)


def phase_gpus(config: Mapping[str, Any], phase: Mapping[str, Any]) -> int:
    return int(_compute(config, phase).get("gpus") or 0)
