"""From a submission to its scores: no web, no database, only the sandbox below.

`judge(request, workdir=...)` is the whole public surface; the types describe
the request (`spec`), the outcome (`result`) and why it may have failed
(`failures`).
"""

from judging.failures import Category, Failure
from judging.messages import Message, render
from judging.pipeline import Runner, judge
from judging.result import JudgeResult, Logs, Provenance
from judging.scorer.catalog import SPECS
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

BUILTIN_METRICS: tuple[str, ...] = tuple(SPECS)
# The parameters each built-in metric understands: the one list bundles are checked against.
METRIC_PARAMS: dict[str, frozenset[str]] = {name: m.params for name, m in SPECS.items()}

__all__ = [
    "BUILTIN_METRICS",
    "METRIC_PARAMS",
    "BuiltinScoring",
    "Category",
    "ColumnSpec",
    "Failure",
    "IngestionSpec",
    "JudgeRequest",
    "JudgeResult",
    "Logs",
    "Message",
    "ProgramScoring",
    "Provenance",
    "Runner",
    "Scores",
    "ScoringSpec",
    "UnpackLimits",
    "judge",
    "render",
]
