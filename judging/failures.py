"""Why a submission was not scored, in words the right person can act on.

Each failure has a category (stable, stored, branched on), a message for the
team, and a detail for the organisers. The categories say who must act:
`scoring_error` and `internal_error` are never the team's fault, so the app can
refund the attempt and alert organisers or operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    RUNTIME_ERROR = "runtime_error"
    MISSING_OUTPUT = "missing_output"
    INVALID_OUTPUT = "invalid_output"
    INVALID_SUBMISSION = "invalid_submission"
    SCORING_ERROR = "scoring_error"
    INTERNAL_ERROR = "internal_error"

    @property
    def blames_team(self) -> bool:
        return self not in (Category.SCORING_ERROR, Category.INTERNAL_ERROR)


@dataclass(frozen=True)
class Failure:
    category: Category
    message: str
    detail: str = ""


NOT_YOUR_FAULT = (
    "This is not your fault and does not count against you; the organisers have been told."
)


def timeout(limit_s: float) -> Failure:
    return Failure(
        Category.TIMEOUT,
        f"Your program ran longer than the {limit_s:g} s limit and was stopped. "
        "The last lines it printed are below.",
    )


def out_of_memory(limit_mb: int) -> Failure:
    return Failure(
        Category.OUT_OF_MEMORY,
        f"Your program used more than the {limit_mb} MB of memory allowed and was stopped. "
        "Try processing the data in smaller pieces. The last lines it printed are below.",
    )


def runtime_error(exit_code: int) -> Failure:
    return Failure(
        Category.RUNTIME_ERROR,
        f"Your program stopped with exit code {exit_code}. "
        "The last lines it printed (including any error) are below.",
    )


def missing_output(name: str, found: list[str], truncated: bool) -> Failure:
    if truncated:
        why = "Its output was larger than allowed, so it was not kept."
    elif found:
        why = f"It wrote only: {', '.join(found[:10])}."
    else:
        why = "It wrote no files at all."
    return Failure(
        Category.MISSING_OUTPUT,
        f"Your program finished but did not write {name} into $MAREA_OUTPUT_DIR. {why}",
    )


def invalid_output(problem: str, line: int | None) -> Failure:
    where = "" if line is None or f"line {line}" in problem else f"line {line}: "
    return Failure(
        Category.INVALID_OUTPUT,
        f"Your predictions file could not be scored: {where}{problem}",
    )


def invalid_submission(problem: str) -> Failure:
    return Failure(Category.INVALID_SUBMISSION, f"Your archive could not be used: {problem}")


def scoring_error(detail: str) -> Failure:
    return Failure(
        Category.SCORING_ERROR,
        f"Your submission could not be scored because the organisers' scoring failed. "
        f"{NOT_YOUR_FAULT}",
        detail,
    )


def internal_error(detail: str) -> Failure:
    return Failure(
        Category.INTERNAL_ERROR,
        "Your submission could not be judged because of a problem on our side. "
        "This is not your fault and does not count against you; the operators have been told.",
        detail,
    )
