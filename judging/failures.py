"""Why a submission was not scored, in words the right person can act on.

Each failure has a category (stable, stored, branched on), a message for the
team (an id and parameters, see `judging.messages`, so the site can say it in
the team's language) and a detail for the organisers. The categories say who must act:
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

from judging.messages import Message

__all__ = ["Category", "Failure", "Message"]


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
    said: Message
    # For the organisers: Marea's own words as a Message (said in their language), or a
    # program's words (an exception, what a scoring program wrote) as they were written.
    detail: str | Message = ""

    @property
    def message(self) -> str:
        return self.said.english()

    @property
    def detail_text(self) -> str:
        return self.detail.english() if isinstance(self.detail, Message) else self.detail


# Said instead of "the last lines it printed are below" when the program ran on hidden inputs:
# then what it printed or wrote could carry those inputs, so the team reads none of it.
WITHHELD = Message("withheld")
LAST_LINES = Message("last_lines")


def timeout(limit_s: float, *, withheld: bool = False) -> Failure:
    then = WITHHELD if withheld else LAST_LINES
    return Failure(Category.TIMEOUT, Message("timeout", {"limit": float(limit_s), "then": then}))


def out_of_memory(limit_mb: int, *, withheld: bool = False) -> Failure:
    then = WITHHELD if withheld else LAST_LINES
    return Failure(
        Category.OUT_OF_MEMORY, Message("out_of_memory", {"limit": limit_mb, "then": then})
    )


def runtime_error(exit_code: int, *, withheld: bool = False) -> Failure:
    """With `withheld`, not even the exit code: a program may exit with a byte of its inputs."""
    if withheld:
        return Failure(
            Category.RUNTIME_ERROR,
            Message("runtime_error_withheld", {"then": WITHHELD}),
            f"exit code {exit_code}",
        )
    return Failure(Category.RUNTIME_ERROR, Message("runtime_error", {"code": exit_code}))


def missing_output(
    name: str, found: list[str], truncated: bool, *, withheld: bool = False
) -> Failure:
    """With `withheld`, not the names of the files it did write: a name can carry anything."""
    if truncated:
        why = Message("output_too_large")
    elif found:
        why = Message("wrote_only", {"files": ", ".join(found[:10])})
    else:
        why = Message("wrote_nothing")
    if withheld:
        return Failure(
            Category.MISSING_OUTPUT,
            Message("missing_output", {"name": name, "why": WITHHELD}),
            Message("missing_output", {"name": name, "why": why}).english(),
        )
    return Failure(Category.MISSING_OUTPUT, Message("missing_output", {"name": name, "why": why}))


def invalid_output(problem: str | Message, line: int | None, *, withheld: bool = False) -> Failure:
    """With `withheld`, neither the problem nor its line: both quote the file the program wrote.

    (A line number is a number the program chose; the problem quotes its ids and values.)
    `problem` is a message of the built-in scorer, or an organiser's program's own words.
    """
    text = problem.english() if isinstance(problem, Message) else problem
    if line is None or f"line {line}" in text:
        said = Message("invalid_output", {"problem": problem})
    else:
        said = Message("invalid_output_line", {"line": line, "problem": problem})
    if withheld:
        return Failure(
            Category.INVALID_OUTPUT,
            Message("invalid_output_withheld", {"then": WITHHELD}),
            said.english(),
        )
    return Failure(Category.INVALID_OUTPUT, said)


def invalid_submission(problem: str | Message) -> Failure:
    return Failure(Category.INVALID_SUBMISSION, Message("invalid_submission", {"problem": problem}))


def scoring_error(detail: str | Message) -> Failure:
    return Failure(Category.SCORING_ERROR, Message("scoring_error"), detail)


def internal_error(detail: str | Message) -> Failure:
    return Failure(Category.INTERNAL_ERROR, Message("internal_error"), detail)
