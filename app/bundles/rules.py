"""Rules that relate several keys of a schema-valid challenge.yaml.

Each rule returns issues located at the key an organiser has to change (e.g.
the second of two duplicate column keys, the phase that starts too early), not
at the top of the model, which is why these are not Pydantic model validators.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from app.bundles.errors import BundleError, ErrorCategory
from app.bundles.schema import (
    BUILTIN_METRICS,
    METRIC_PARAMS,
    Challenge,
    LogMode,
    PhaseKind,
)
from app.bundles.source import Loc, YamlDocument


@dataclass(frozen=True)
class Issue:
    loc: Loc
    message: str
    hint: str
    at_key: bool = False


def issue_errors(issues: list[Issue], doc: YamlDocument, file: str) -> list[BundleError]:
    """Rule issues as errors placed in `file` (challenge.yaml or event.yaml), at their key."""
    errors = []
    for issue in issues:
        position = doc.locate(issue.loc, at_key=issue.at_key)
        errors.append(
            BundleError(
                file,
                position.line if position else None,
                position.column if position else None,
                issue.message,
                issue.hint,
                ErrorCategory.RULE,
            )
        )
    return errors


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def check_rules(challenge: Challenge, images: Collection[str]) -> list[Issue]:
    """Every rule; `images` are the runner images this site allows (its settings)."""
    return [
        *_scoring(challenge),
        *_columns(challenge),
        *_ranking(challenge),
        *_phases(challenge),
        *_images(challenge, images),
        *_data(challenge),
        *_teams_and_judging(challenge),
        *_code_logs(challenge),
        *_identity(challenge),
    ]


def _scoring(c: Challenge) -> Iterator[Issue]:
    scoring = c.scoring
    if (scoring.builtin is None) == (scoring.program is None):
        both = scoring.builtin is not None
        yield Issue(
            ("scoring",),
            "scoring has both `builtin` and `program`"
            if both
            else "scoring has neither `builtin` nor `program`",
            "keep exactly one: `builtin` (a metric per leaderboard column) or `program` "
            "(your own scoring program)",
            at_key=True,
        )
    if scoring.builtin is not None:
        if not scoring.predictions_file.lower().endswith(".csv"):
            yield Issue(
                ("scoring", "predictions_file"),
                f"built-in scoring reads CSV, but predictions_file is '{scoring.predictions_file}'",
                "name the predictions file with a .csv extension, e.g. predictions.csv",
            )
        if len(c.data.reference) != 1:
            yield Issue(
                ("data", "reference"),
                f"built-in scoring needs exactly one reference CSV, found {len(c.data.reference)}",
                "list one CSV under data.reference holding the id, target and split columns",
                at_key=True,
            )
        elif not c.data.reference[0].path.lower().endswith(".csv"):
            yield Issue(
                ("data", "reference", 0, "path"),
                f"the reference file '{c.data.reference[0].path}' is not a .csv file",
                "built-in scoring reads the answers from a CSV file",
            )


def _columns(c: Challenge) -> Iterator[Issue]:
    builtin = c.scoring.builtin is not None
    program = c.scoring.program is not None and not builtin  # both: reported once, above
    seen: dict[str, int] = {}
    for i, column in enumerate(c.leaderboard.columns):
        loc: Loc = ("leaderboard", "columns", i)
        if column.key in seen:
            yield Issue(
                (*loc, "key"),
                f"column key '{column.key}' is used twice "
                f"(also leaderboard.columns[{seen[column.key]}])",
                "give every leaderboard column its own key",
            )
        seen.setdefault(column.key, i)
        if builtin and column.metric is None:
            yield Issue(
                loc,
                f"column '{column.key}' has no `metric`, which built-in scoring needs",
                f"add `metric:` with one of: {', '.join(sorted(BUILTIN_METRICS))}",
            )
        if column.metric is not None:
            if program:
                yield Issue(
                    (*loc, "metric"),
                    f"column '{column.key}' has `metric: {column.metric}`, but scoring uses "
                    "a program, which computes the columns itself",
                    "remove `metric` (the program must write a value for key "
                    f"'{column.key}'), or switch to builtin scoring",
                    at_key=True,
                )
            elif column.metric not in BUILTIN_METRICS:
                yield Issue(
                    (*loc, "metric"),
                    f"unknown metric '{column.metric}'",
                    f"use one of: {', '.join(sorted(BUILTIN_METRICS))}",
                )
            else:
                allowed = METRIC_PARAMS[column.metric]
                for name in column.params:
                    if name not in allowed:
                        accepted = ", ".join(sorted(allowed)) or "none"
                        yield Issue(
                            (*loc, "params", name),
                            f"metric '{column.metric}' has no parameter '{name}'",
                            f"parameters accepted by {column.metric}: {accepted}",
                            at_key=True,
                        )
        elif program and column.params:
            yield Issue(
                (*loc, "params"),
                "`params` only applies to built-in metrics",
                "remove `params`; your scoring program decides how to compute the column",
                at_key=True,
            )


def _ranking(c: Challenge) -> Iterator[Issue]:
    board = c.leaderboard
    keys = [column.key for column in board.columns]
    listed = ", ".join(keys)
    if board.rank_by not in keys:
        yield Issue(
            ("leaderboard", "rank_by"),
            f"rank_by '{board.rank_by}' is not a leaderboard column",
            f"use one of the column keys: {listed}",
        )
    seen: set[str] = set()
    for i, key in enumerate(board.tie_breakers):
        loc: Loc = ("leaderboard", "tie_breakers", i)
        if key not in keys:
            yield Issue(
                loc,
                f"tie-breaker '{key}' is not a leaderboard column",
                f"use one of the column keys: {listed}",
            )
        elif key == board.rank_by:
            yield Issue(
                loc,
                f"tie-breaker '{key}' is also rank_by",
                "remove it from tie_breakers: ties on rank_by cannot be broken by rank_by",
            )
        elif key in seen:
            yield Issue(loc, f"tie-breaker '{key}' is listed twice", "list it once")
        seen.add(key)


def _phases(c: Challenge) -> Iterator[Issue]:
    names: dict[str, int] = {}
    for i, phase in enumerate(c.phases):
        loc: Loc = ("phases", i)
        here = f"phases[{i}] ({phase.name})"
        if phase.name in names:
            yield Issue(
                (*loc, "name"),
                f"phase name '{phase.name}' is used twice (also phases[{names[phase.name]}])",
                "give every phase its own name",
            )
        names.setdefault(phase.name, i)
        if phase.end <= phase.start:
            yield Issue(
                (*loc, "end"),
                f"{here}.end ({_iso(phase.end)}) is not after its start ({_iso(phase.start)})",
                "set end after start",
            )
        if i > 0:
            before = c.phases[i - 1]
            if phase.start < before.end:
                yield Issue(
                    (*loc, "start"),
                    f"{here} starts at {_iso(phase.start)}, before phases[{i - 1}] "
                    f"({before.name}) ends at {_iso(before.end)}",
                    "phases are listed in order and must not overlap: start this phase at or "
                    "after the previous one's end",
                )
        if phase.kind is PhaseKind.CODE and phase.code is None:
            yield Issue(
                loc,
                f"{here} is a code phase but has no `code` block",
                'add `code: {command: ["python3", "main.py"]}` (time_limit_s, memory_mb and '
                "cpus are optional)",
            )
        if phase.kind is PhaseKind.PREDICTIONS and phase.code is not None:
            yield Issue(
                (*loc, "code"),
                f"{here} accepts predictions files, so its `code` block would never run",
                "remove `code`, or set `kind: code` if teams upload programs",
                at_key=True,
            )
        limits = phase.limits
        if (
            limits.per_day is not None
            and limits.total is not None
            and limits.per_day > limits.total
        ):
            yield Issue(
                (*loc, "limits", "per_day"),
                f"{here} allows {limits.per_day} submissions a day but only "
                f"{limits.total} in total",
                "make per_day at most total",
            )


def _images(c: Challenge, allowed: Collection[str]) -> Iterator[Issue]:
    """Only images the administrator allows, which workers already have.

    An image name can carry a registry address (`127.0.0.1:8200/x:v1`): an image
    chosen freely would let a bundle make the Docker engine contact any host.
    """
    named: list[tuple[Loc, str | None]] = [(("runner_image",), c.runner_image)]
    named += [(("phases", i, "runner_image"), p.runner_image) for i, p in enumerate(c.phases)]
    listed = ", ".join(sorted(allowed)) or "none"
    for loc, image in named:
        if image is not None and image not in allowed:
            yield Issue(
                loc,
                f"runner_image '{image}' is not an image this site allows (allowed: {listed})",
                "write `runner_image: null` to use the site's image, or ask the site's "
                "administrator to allow it (setting MAREA_ALLOWED_RUNNER_IMAGES) and to put it "
                "on every worker's Docker engine: workers never download images",
            )


def _data(c: Challenge) -> Iterator[Issue]:
    reference = {posixpath.normpath(item.path) for item in c.data.reference}
    for page_name, paths in c.pages:
        for lang in ("it", "en"):
            written = getattr(paths, lang)
            if posixpath.normpath(written) in reference:
                yield Issue(
                    ("pages", page_name, lang),
                    f"the {page_name} page ({lang}) is the reference (hidden answers) file "
                    f"'{written}' and would be shown to everyone",
                    "point the page at its Markdown file; answers are named only under "
                    "data.reference",
                )
    for role in ("public", "reference", "inputs"):
        seen: set[str] = set()
        for i, item in enumerate(getattr(c.data, role)):
            loc: Loc = ("data", role, i, "path")
            path = posixpath.normpath(item.path)
            if path in seen:
                yield Issue(loc, f"'{item.path}' is listed twice in data.{role}", "list it once")
            seen.add(path)
            if role != "reference" and path in reference:
                yield Issue(
                    loc,
                    f"'{item.path}' is a reference (hidden answers) file and would be given "
                    f"out through data.{role}",
                    "keep answers only under data.reference; give participants a copy without "
                    "the target column",
                )
    exposed = [("starter_kit", c.starter_kit), ("baseline", c.baseline)]
    for key, folder in exposed:
        if folder is None:
            continue
        prefix = posixpath.normpath(folder)
        for path in reference:
            if prefix == "." or path == prefix or path.startswith(prefix + "/"):
                yield Issue(
                    (key,),
                    f"{key} '{folder}' contains the reference file '{path}'",
                    f"move the answers out of the {key} folder",
                )


def _teams_and_judging(c: Challenge) -> Iterator[Issue]:
    if c.teams.min_size > c.teams.max_size:
        yield Issue(
            ("teams", "min_size"),
            f"teams.min_size ({c.teams.min_size}) is larger than max_size ({c.teams.max_size})",
            "make min_size at most max_size",
        )
    judging = c.judging
    if judging.scale.min >= judging.scale.max:
        yield Issue(
            ("judging", "scale", "max"),
            f"judging.scale.max ({judging.scale.max}) must be above min ({judging.scale.min})",
            "use a scale such as {min: 1, max: 5}",
        )
    points = judging.scale.max - judging.scale.min + 1
    labels = judging.scale.labels
    if labels is not None and points > 0 and len(labels) != points:
        yield Issue(
            ("judging", "scale", "labels"),
            f"judging.scale.labels has {len(labels)} labels but the scale "
            f"{judging.scale.min} to {judging.scale.max} has {points} points",
            "give one label per point of the scale, lowest first, or leave labels out",
            at_key=True,
        )
    keys: dict[str, int] = {}
    for i, criterion in enumerate(judging.rubric):
        if criterion.key in keys:
            yield Issue(
                ("judging", "rubric", i, "key"),
                f"rubric key '{criterion.key}' is used twice (also judging.rubric[{keys[criterion.key]}])",
                "give every criterion its own key",
            )
        keys.setdefault(criterion.key, i)
    combine = judging.combine
    total = combine.metric_weight + combine.rubric_weight
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        yield Issue(
            ("judging", "combine"),
            f"judging.combine weights sum to {total:g} "
            f"({combine.metric_weight:g} + {combine.rubric_weight:g}), not 1",
            "choose metric_weight and rubric_weight that add up to 1, e.g. 0.7 and 0.3",
            at_key=True,
        )


def _code_logs(c: Challenge) -> Iterator[Issue]:
    """`excerpt_bytes` caps an excerpt; with any other log policy it would be silently ignored."""
    for i, phase in enumerate(c.phases):
        code = phase.code
        if code is None or code.excerpt_bytes is None or code.logs is LogMode.EXCERPT:
            continue
        mode = "the default" if code.logs is None else f"`{code.logs.value}`"
        yield Issue(
            ("phases", i, "code", "excerpt_bytes"),
            f"phases[{i}] ({phase.name}).code sets excerpt_bytes, but its log policy is {mode}, "
            "not `excerpt`, so no excerpt is ever cut",
            "remove excerpt_bytes, or set `logs: excerpt` to show teams only excerpts you approve",
            at_key=True,
        )


# The text colours of the site (marea.css): white on the primary colour, ink on the accent.
WHITE = "#ffffff"
INK = "#0b2239"
# WCAG 2 level AA for normal-size text.
MIN_CONTRAST = 4.5


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of '#rrggbb'."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two '#rrggbb' colours, from 1 to 21."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _identity(c: Challenge) -> Iterator[Issue]:
    """Each colour must keep the text written on it readable (AA), whatever the organiser likes.

    The primary colour carries white text (buttons), the accent dark text (the current tab).
    """
    if c.identity is None:
        return
    pairs = (
        ("primary", c.identity.primary, WHITE, "white", "darker"),
        ("accent", c.identity.accent, INK, "dark", "lighter"),
    )
    for key, colour, text, text_name, fix in pairs:
        if colour is None:
            continue
        ratio = contrast(colour, text)
        if ratio < MIN_CONTRAST:
            yield Issue(
                ("identity", key),
                f"{text_name} text on identity.{key} '{colour}' has a contrast of "
                f"{ratio:.2f}:1, under the {MIN_CONTRAST}:1 that WCAG AA asks for",
                f"choose a {fix} {key} colour (the site writes {text_name} text, {text}, on it)",
            )
