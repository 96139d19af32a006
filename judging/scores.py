"""Read the JSON a scoring program leaves in $MAREA_SCORES_FILE.

The contract, the same for the built-in scorer and for organisers' programs:

    {"public": {"rmse": 1.2, "mae": 0.9}, "private": {"rmse": 1.3, "mae": 1.0}}

Both parts are required and each must hold exactly the leaderboard's column
keys, with finite numbers. A flat `{"rmse": 1.2}` is refused, not treated as
both parts: copying one number to both boards would either leak the private
score or hide that the program ignores the split. A key that is not a column is
an error too (Codabench silently drops it, so a typo goes unnoticed for weeks).

A program may also reject the team's file, which the team then sees:

    {"invalid": "row 3 has no 'sst' value", "line": 3}     ("line" optional)

(The built-in scorer adds "invalid_message", the same problem as an id of
`judging.scorer.wording` and its parameters, so the team reads it in its language.)

That message is shown as written, so it must read the same whichever part of
the test set the offending row is in (never "the private row ..."), or it tells
the team which ids are private; Marea cannot check an organiser's wording.

and may report a problem that is the organisers' own to fix:

    {"scoring_error": "the reference file has no private rows"}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from judging import failures
from judging.failures import Failure
from judging.messages import Message
from judging.scorer.wording import PROBLEMS

Scores = dict[str, dict[str, float]]
MAX_SCORES_BYTES = 1024 * 1024
MAX_MESSAGE_CHARS = 2000


def _part(answer: dict[str, Any], part: str, keys: tuple[str, ...]) -> dict[str, float] | str:
    values = answer.get(part)
    if not isinstance(values, dict):
        return f'"{part}" must be an object of column: number'
    unknown = sorted(set(values) - set(keys))
    if unknown:
        return f'"{part}" has keys that are not leaderboard columns: {", ".join(unknown)}'
    missing = [k for k in keys if k not in values]
    if missing:
        return f'"{part}" lacks the leaderboard columns: {", ".join(missing)}'
    scores: dict[str, float] = {}
    for key in keys:
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f'"{part}"."{key}" is {value!r}, not a number'
        if not math.isfinite(value):
            return f'"{part}"."{key}" is {value!r}, not a finite number'
        scores[key] = float(value)
    return scores


def read_scores(path: Path, keys: tuple[str, ...], *, withheld: bool = False) -> Scores | Failure:
    """The scores, or the failure the file's content (or absence) amounts to.

    `withheld`: the predictions were written by a program that ran on hidden inputs, so an
    `invalid` answer (which quotes them) reaches the organisers only.
    """
    if not path.is_file():
        return failures.scoring_error(Message("detail.no_scores", {"name": path.name}))
    if path.stat().st_size > MAX_SCORES_BYTES:
        return failures.scoring_error(
            Message("detail.scores_too_large", {"name": path.name, "limit": MAX_SCORES_BYTES})
        )
    try:
        answer = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return failures.scoring_error(
            Message("detail.scores_not_json", {"name": path.name, "error": str(exc)})
        )
    if not isinstance(answer, dict):
        return failures.scoring_error(Message("detail.scores_shape", {"name": path.name}))
    if "invalid" in answer:
        line = answer.get("line")
        line = line if isinstance(line, int) and not isinstance(line, bool) else None
        problem: str | Message = str(answer["invalid"])[:MAX_MESSAGE_CHARS]
        said = Message.from_json(answer.get("invalid_message"))
        if said is not None and said.id in PROBLEMS:
            problem = said
        return failures.invalid_output(problem, line, withheld=withheld)
    if "scoring_error" in answer:
        return failures.scoring_error(str(answer["scoring_error"])[:MAX_MESSAGE_CHARS])
    extra = sorted(set(answer) - {"public", "private"})
    if extra:
        which = "detail.scores_not_split" if set(extra) & set(keys) else "detail.scores_extra_keys"
        return failures.scoring_error(Message(which, {"name": path.name, "keys": ", ".join(extra)}))
    scores: Scores = {}
    for part in ("public", "private"):
        parsed = _part(answer, part, keys)
        if isinstance(parsed, str):
            return failures.scoring_error(
                Message("detail.scores_part", {"name": path.name, "problem": parsed})
            )
        scores[part] = parsed
    return scores
