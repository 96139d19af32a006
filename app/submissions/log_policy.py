"""What a team may read of its own program's output: a code phase's log policy.

A program that runs on hidden test inputs can print them, so what it prints must
not reach the team as such. The policy is read from the phase's `code` block
(`logs: full | excerpt | none`, `excerpt_bytes`); without `logs` it follows from
the data: `full` when every input the program runs on is also a public file
(the team could download it anyway), `none` otherwise. Organisers always see
everything. Predictions phases run nothing of the team's, so they are `full`.

Applied twice, on purpose: judging is told whether the team may read the output
(`team_sees_output`, so the failure message quotes nothing of it and the logs
are stored under `withheld`), and the pages apply the policy again when they
show logs, so a policy tightened after some runs hides those runs' logs too.
Pure configuration reading: no database, usable by `marea judge` as well.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.challenges.models import Phase

Mode = Literal["full", "excerpt", "none"]
MODES: tuple[Mode, ...] = ("full", "excerpt", "none")
DEFAULT_EXCERPT_BYTES = 2048
MAX_EXCERPT_BYTES = 65536


@dataclass(frozen=True)
class LogPolicy:
    mode: Mode
    excerpt_bytes: int = DEFAULT_EXCERPT_BYTES
    # False when the mode is the default the data implies, not written in challenge.yaml.
    explicit: bool = False

    @property
    def team_sees_output(self) -> bool:
        return self.mode == "full"


def inputs_are_public(config: Mapping[str, Any]) -> bool:
    """Whether every file under data.inputs is also under data.public (true when none are)."""
    data = config.get("data") or {}
    public = {posixpath.normpath(str(f["path"])) for f in data.get("public") or []}
    inputs = {posixpath.normpath(str(f["path"])) for f in data.get("inputs") or []}
    return inputs <= public


def log_policy(config: Mapping[str, Any], kind: str, code: Mapping[str, Any] | None) -> LogPolicy:
    """The policy of a phase of `kind` with `code` block, in a challenge with `config`."""
    if kind != "code":
        return LogPolicy("full")
    code = code or {}
    raw = code.get("logs")
    size = code.get("excerpt_bytes")
    excerpt_bytes = size if isinstance(size, int) and size > 0 else DEFAULT_EXCERPT_BYTES
    excerpt_bytes = min(excerpt_bytes, MAX_EXCERPT_BYTES)
    if raw is None:
        return LogPolicy("full" if inputs_are_public(config) else "none", excerpt_bytes)
    for mode in MODES:
        if raw == mode:
            return LogPolicy(mode, excerpt_bytes, explicit=True)
    return LogPolicy("none", excerpt_bytes)  # unreadable (validation refuses it): the safe one


def phase_log_policy(config: Mapping[str, Any], phase: Phase) -> LogPolicy:
    """The policy of a stored phase (its `kind` and `code` columns)."""
    return log_policy(config, phase.kind, phase.code)
