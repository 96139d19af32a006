"""Why a submission was not scored, in words the right person can act on.

Each failure has a category (stable, stored, branched on), a message for the
team, and a detail for the organisers. The categories say who must act:
`scoring_error` and `internal_error` are never the team's fault, so the app can
refund the attempt and alert organisers or operators.

Two things a team's message never carries, whatever the failure:
- which part of the test set (public or private) a row belongs to, not even by
  implication (a count per part, or which part "failed first"): the team would
  learn which of its ids are scored on the hidden board. The organisers' detail
  may say it.
- when the program ran on hidden inputs (`withheld`), anything the program
  controls: its output, exit code, file names, or quotes from its predictions.
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


# Said instead of "the last lines it printed are below" when the program ran on hidden inputs:
# then what it printed or wrote could carry those inputs, so the team reads none of it.
WITHHELD = (
    "In this phase your program runs on hidden test inputs, so what it prints and writes is "
    "not shown to teams; the organisers can see it."
)


def timeout(limit_s: float, *, withheld: bool = False) -> Failure:
    stopped = f"Your program ran longer than the {limit_s:g} s limit and was stopped."
    if withheld:
        return Failure(Category.TIMEOUT, f"{stopped} {WITHHELD}")
    return Failure(Category.TIMEOUT, f"{stopped} The last lines it printed are below.")


def out_of_memory(limit_mb: int, *, withheld: bool = False) -> Failure:
    stopped = (
        f"Your program used more than the {limit_mb} MB of memory allowed and was stopped. "
        "Try processing the data in smaller pieces."
    )
    if withheld:
        return Failure(Category.OUT_OF_MEMORY, f"{stopped} {WITHHELD}")
    return Failure(Category.OUT_OF_MEMORY, f"{stopped} The last lines it printed are below.")


def runtime_error(exit_code: int, *, withheld: bool = False) -> Failure:
    """With `withheld`, not even the exit code: a program may exit with a byte of its inputs."""
    if withheld:
        return Failure(
            Category.RUNTIME_ERROR,
            f"Your program stopped with an error (a non-zero exit code). {WITHHELD}",
            f"exit code {exit_code}",
        )
    return Failure(
        Category.RUNTIME_ERROR,
        f"Your program stopped with exit code {exit_code}. "
        "The last lines it printed (including any error) are below.",
    )


def missing_output(
    name: str, found: list[str], truncated: bool, *, withheld: bool = False
) -> Failure:
    """With `withheld`, not the names of the files it did write: a name can carry anything."""
    if truncated:
        why = "Its output was larger than allowed, so it was not kept."
    elif found:
        why = f"It wrote only: {', '.join(found[:10])}."
    else:
        why = "It wrote no files at all."
    missing = f"Your program finished but did not write {name} into $MAREA_OUTPUT_DIR."
    if withheld:
        return Failure(Category.MISSING_OUTPUT, f"{missing} {WITHHELD}", f"{missing} {why}")
    return Failure(Category.MISSING_OUTPUT, f"{missing} {why}")


def invalid_output(problem: str, line: int | None, *, withheld: bool = False) -> Failure:
    """With `withheld`, neither the problem nor its line: both quote the file the program wrote.

    (A line number is a number the program chose; the problem quotes its ids and values.)
    """
    where = "" if line is None or f"line {line}" in problem else f"line {line}: "
    full = f"Your predictions file could not be scored: {where}{problem}"
    if withheld:
        return Failure(
            Category.INVALID_OUTPUT,
            "The predictions file your program wrote could not be scored; check it against "
            f"the format on the challenge's evaluation page. {WITHHELD}",
            full,
        )
    return Failure(Category.INVALID_OUTPUT, full)


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
