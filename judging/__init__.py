"""From a submission to its scores: no web, no database, only the sandbox below.

`judge(request, workdir=...)` is the whole public surface; the types describe
the request (`spec`), the outcome (`result`) and why it may have failed
(`failures`).
"""

from judging.failures import Category, Failure
from judging.pipeline import Runner, judge
from judging.result import JudgeResult, Logs, Provenance
from judging.scorer.metrics import METRICS
from judging.scores import Scores
from judging.spec import (
    BuiltinScoring,
    ColumnSpec,
    IngestionSpec,
    JudgeRequest,
    ProgramScoring,
    ScoringSpec,
    UnpackLimits,
)

BUILTIN_METRICS: tuple[str, ...] = tuple(METRICS)

__all__ = [
    "BUILTIN_METRICS",
    "BuiltinScoring",
    "Category",
    "ColumnSpec",
    "Failure",
    "IngestionSpec",
    "JudgeRequest",
    "JudgeResult",
    "Logs",
    "ProgramScoring",
    "Provenance",
    "Runner",
    "Scores",
    "ScoringSpec",
    "UnpackLimits",
    "judge",
]
