"""What the judging pipeline is asked to do, as plain frozen values.

The app maps a challenge bundle (challenge.yaml) onto these types; nothing here
reads YAML, a database or settings. Paths are host paths the caller has already
materialised. Field names follow the bundle so the mapping stays obvious.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Better = Literal["lower", "higher"]
Kind = Literal["predictions", "code"]
MiB = 1024 * 1024


@dataclass(frozen=True)
class ColumnSpec:
    """One leaderboard column: `metric` names a built-in metric, None with a scoring program."""

    key: str
    better: Better = "lower"
    metric: str | None = None
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BuiltinScoring:
    """Score with the built-in metrics against one reference CSV (relative to reference_dir)."""

    reference_file: str
    id_column: str
    target_column: str
    prediction_column: str
    split_column: str
    # Ours, not the organisers': generous, since a failure here is an internal error.
    time_limit_s: float = 300.0
    memory_mb: int = 2048


@dataclass(frozen=True)
class ProgramScoring:
    """Score with the organisers' program: `path` is mounted read-only as its working directory."""

    path: Path
    command: tuple[str, ...]
    time_limit_s: float = 120.0
    memory_mb: int = 1024


@dataclass(frozen=True)
class ScoringSpec:
    """How to turn a predictions file into one number per leaderboard column and part."""

    columns: tuple[ColumnSpec, ...]
    method: BuiltinScoring | ProgramScoring
    # The hidden answers; mounted read-only into the scoring container and nowhere else.
    reference_dir: Path
    predictions_file: str = "predictions.csv"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


@dataclass(frozen=True)
class IngestionSpec:
    """How to run a code submission (a phase's `code:` block plus the test inputs)."""

    command: tuple[str, ...]
    # Test inputs without answers, mounted read-only at $MAREA_INPUT_DIR; None mounts an empty one.
    inputs_dir: Path | None = None
    time_limit_s: float = 300.0
    memory_mb: int = 1024
    cpus: float = 1.0
    gpus: int = 0  # the phase's compute.gpus: GPUs given to the program's container
    output_mb: int = 256
    log_kib: int = 256
    # False when the program runs on inputs the team may not read (a phase's log policy other
    # than `full`): then nothing the program controls reaches the team's words, not its logs,
    # its exit code, the names of the files it wrote, nor quotes from the predictions it wrote.
    # Judging takes this flag, rather than the app hiding things afterwards, because the failure
    # messages are written here and only here is it known which of their words came from the
    # program; a sentence cannot be redacted reliably once it is stored. The logs are routed by
    # audience for the same reason: a reader of the stored logs that forgets the policy can
    # still never show them to the team.
    team_sees_output: bool = True
    # Told each chunk the program prints while it runs (app.queue.live_logs); given to the
    # sandbox only when `team_sees_output`, so a live view can never show what the team may not read.
    live: Callable[[bytes, bytes], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class UnpackLimits:
    """Ceilings on a code archive once unpacked (sizes are the real, decompressed bytes)."""

    max_bytes: int = 200 * MiB
    max_files: int = 2000
    max_depth: int = 32


@dataclass(frozen=True)
class JudgeRequest:
    """One submission to judge: the uploaded file, its kind, and the phase's settings."""

    submission_path: Path
    kind: Kind
    image: str
    scoring: ScoringSpec
    ingestion: IngestionSpec | None = None
    unpack: UnpackLimits = field(default_factory=UnpackLimits)
    # Added to every container, e.g. the submission id, so stray ones can be traced.
    labels: dict[str, str] = field(default_factory=dict)
