"""Team-facing messages as an id and parameters, so each reader gets them in their language.

judging/ may not use the site's catalogs (it imports nothing of app/), and `marea judge` on a
laptop prints English. So a message is a key into `TEMPLATES` plus its parameters: `english()`
fills the English template, and the site fills the translated one, because the English
template is also the gettext msgid (marked with `N_` so `pybabel extract` finds it here).

Parameters are words nobody translates (ids, file names, an organiser's own text), numbers
(a float is written the reader's way: "2,5" in Italian), or other messages, rendered in the
same language. A message stored by an older release may name an id this one lacks: `from_json`
then answers None and readers fall back to the English text stored beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from judging.scorer.wording import PROBLEMS

Param = Union[str, int, float, "Message"]


def N_(text: str) -> str:
    """Marks a template for extraction; translation happens when a reader's language is known."""
    return text


FAILURES: dict[str, str] = {
    "scored": N_("Your submission was scored."),
    "withheld": N_(
        "In this phase your program runs on hidden test inputs, so what it prints and writes is "
        "not shown to teams; the organisers can see it."
    ),
    "last_lines": N_("The last lines it printed are below."),
    "timeout": N_("Your program ran longer than the {limit} s limit and was stopped. {then}"),
    "out_of_memory": N_(
        "Your program used more than the {limit} MB of memory allowed and was stopped. "
        "Try processing the data in smaller pieces. {then}"
    ),
    "runtime_error": N_(
        "Your program stopped with exit code {code}. "
        "The last lines it printed (including any error) are below."
    ),
    "runtime_error_withheld": N_(
        "Your program stopped with an error (a non-zero exit code). {then}"
    ),
    "missing_output": N_(
        "Your program finished but did not write {name} into $MAREA_OUTPUT_DIR. {why}"
    ),
    "output_too_large": N_("Its output was larger than allowed, so it was not kept."),
    "wrote_only": N_("It wrote only: {files}."),
    "wrote_nothing": N_("It wrote no files at all."),
    "invalid_output": N_("Your predictions file could not be scored: {problem}"),
    "invalid_output_line": N_("Your predictions file could not be scored: line {line}: {problem}"),
    "invalid_output_withheld": N_(
        "The predictions file your program wrote could not be scored; check it against "
        "the format on the challenge's evaluation page. {then}"
    ),
    "invalid_submission": N_("Your archive could not be used: {problem}"),
    "scoring_error": N_(
        "Your submission could not be scored because the organisers' scoring failed. "
        "This is not your fault and does not count against you; the organisers have been told."
    ),
    "internal_error": N_(
        "Your submission could not be judged because of a problem on our side. "
        "This is not your fault and does not count against you; the operators have been told."
    ),
}

# Why a code submission's archive cannot be unpacked (`judging.unpack`); the `problem` of
# "invalid_submission". A {name} is the entry's name as written in the archive, quoted.
UNPACK: dict[str, str] = {
    "unpack.too_many_files": N_("it holds more than {limit} files"),
    "unpack.too_large": N_("its contents are larger than {limit} MB unpacked"),
    "unpack.too_large_decompressed": N_("its contents are too large once decompressed"),
    "unpack.nul": N_("the entry {name} has a NUL character in its name"),
    "unpack.absolute": N_("the entry {name} has an absolute path"),
    "unpack.outside": N_("the entry {name} points outside the archive (..)"),
    "unpack.too_deep": N_("the entry {name} is nested deeper than {limit} folders"),
    "unpack.twice": N_("the file {name} appears twice"),
    "unpack.link": N_("the entry {name} is a link or special file"),
    "unpack.unreadable": N_("the entry {name} cannot be read"),
    "unpack.not_archive": N_("it is not a zip or tar.gz archive"),
    "unpack.damaged": N_("it is damaged or in an unsupported format ({error})"),
    "unpack.encrypted": N_("it uses encryption or compression we cannot read ({error})"),
}

# What the site's queue says when it gives up on a row after its retries (`app.queue`): the
# problem was Marea's, so the words say so. Kept in this one table so a judged row's message,
# whoever wrote it, is rendered the same way in the reader's language.
GAVE_UP: dict[str, str] = {
    "gave_up": N_(
        "Marea could not judge this submission after {attempts} attempts because of a problem "
        "on our side, not in your submission. It does not count against your quota; please "
        "submit it again."
    ),
    "gave_up_worker_died": N_(
        "Marea could not judge this submission after {attempts} attempts because of a problem "
        "on our side, not in your submission. It does not count against your daily quota; please "
        "submit it again, and tell the organisers if this repeats."
    ),
    "rescore_gave_up": N_(
        "Marea could not judge this submission again after {attempts} attempts because of a "
        "problem on its side; the submission keeps its old score. ({reason})"
    ),
    "retry.internal": N_("judging failed on our side ({error}); it will be retried"),
    "retry.worker_died": N_("the worker judging it stopped answering; judging it again"),
    "retry.engine": N_("Docker engine unavailable: {error}"),
}

# What went wrong on the organisers' or the operators' side, for the organisers' half of the
# logs (never shown to teams). A program's own words (an exception, a `scoring_error` it
# wrote) stay as they were written; these are Marea's.
DETAILS: dict[str, str] = {
    "detail.no_scores": N_("the scoring program wrote no {name}"),
    "detail.scores_too_large": N_("{name} is larger than {limit} bytes"),
    "detail.scores_not_json": N_("{name} is not valid JSON ({error})"),
    "detail.scores_shape": N_(
        '{name} must hold an object {{"public": {{column: number}}, "private": {{column: number}}}}'
    ),
    "detail.scores_extra_keys": N_(
        '{name} has unexpected keys {keys}; it must hold an object {{"public": {{column: number}}, '
        '"private": {{column: number}}}}'
    ),
    "detail.scores_not_split": N_(
        "{name} has unexpected keys {keys}: scores must be split into public and private"
    ),
    "detail.scores_part": N_("{name} holds a bad score: {problem}"),
    "detail.workdir_not_empty": N_("work directory {path} is not empty"),
    "detail.submission_missing": N_("submission {path} is missing"),
    "detail.predictions_name": N_("predictions_file {name} must be a plain name"),
    "detail.no_metric": N_("column {key} has no built-in metric"),
    "detail.cannot_mount": N_("cannot mount: {problems}"),
    "detail.no_ingestion": N_("a code submission needs an ingestion spec"),
    "detail.no_exit_code": N_("the sandbox reported no exit code"),
    "detail.builtin_crashed": N_("the built-in scorer {crash}"),
    "detail.program_crashed": N_("the scoring program {crash}"),
    "detail.crash_timeout": N_("ran longer than its {limit} s limit"),
    "detail.crash_memory": N_("used more than its {limit} MB of memory"),
    "detail.crash_exit": N_("exited with code {code}"),
}

TEMPLATES: dict[str, str] = {**FAILURES, **PROBLEMS, **UNPACK, **GAVE_UP, **DETAILS}


@dataclass(frozen=True)
class Message:
    id: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id not in TEMPLATES:
            raise KeyError(f"no message template {self.id!r}")

    def english(self) -> str:
        return render(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "params": {
                k: v.to_json() if isinstance(v, Message) else v for k, v in self.params.items()
            },
        }

    @staticmethod
    def from_json(data: object) -> Message | None:
        """The message stored as `to_json` wrote it; None for anything this release cannot render."""
        if not isinstance(data, dict) or data.get("id") not in TEMPLATES:
            return None
        raw = data.get("params", {})
        if not isinstance(raw, dict):
            return None
        params: dict[str, Param] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                nested = Message.from_json(value)
                if nested is None:
                    return None
                params[str(key)] = nested
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                params[str(key)] = value
            else:
                return None
        return Message(str(data["id"]), params)


def _same(text: str) -> str:
    return text


def _english_number(value: float) -> str:
    return f"{value:g}"


def render(
    message: Message,
    translate: Callable[[str], str] = _same,
    number: Callable[[float], str] = _english_number,
) -> str:
    """The message in the language of `translate`; English when a translation is malformed."""
    values: dict[str, str] = {}
    for key, value in message.params.items():
        if isinstance(value, Message):
            values[key] = render(value, translate, number)
        elif isinstance(value, float):
            values[key] = number(value)
        else:
            values[key] = str(value)
    template = TEMPLATES[message.id]
    try:
        return translate(template).format_map(values)
    except (KeyError, IndexError, ValueError):
        return template.format_map(values)
