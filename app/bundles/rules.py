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

from app.bundles.errors import N_, BundleError, ErrorCategory, Words
from app.bundles.schema import (
    BUILTIN_METRICS,
    METRIC_PARAMS,
    Challenge,
    LogMode,
    PhaseKind,
)
from app.bundles.source import Loc, YamlDocument
from app.core.settings import DEFAULT_POOL, ComputePool
from app.text.words import listed


@dataclass(frozen=True)
class Issue:
    loc: Loc
    message: Words
    hint: Words
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


def check_rules(
    challenge: Challenge, images: Collection[str], pools: Collection[ComputePool] = ()
) -> list[Issue]:
    """Every rule; `images` are the runner images this site allows, `pools` the compute pools
    it runs (both its settings)."""
    return [
        *_metric_sections(challenge),
        *_scoring(challenge),
        *_columns(challenge),
        *_ranking(challenge),
        *_phases(challenge),
        *_images(challenge, images),
        *_data(challenge),
        *_teams_and_judging(challenge),
        *_code_logs(challenge),
        *_identity(challenge),
        *_project(challenge),
        *_compute(challenge, pools),
    ]


def _project(c: Challenge) -> Iterator[Issue]:
    """The `project` section and the project phases come together: one without the other is a
    half-written bundle, and the form would have no licence to offer."""
    has_phase = PhaseKind.PROJECT in c.phase_kinds()
    if has_phase and c.project is None:
        first = next(i for i, p in enumerate(c.phases) if p.kind is PhaseKind.PROJECT)
        yield Issue(
            ("phases", first, "kind"),
            N_(
                "phases[{index}] is a project phase but the bundle has no `project` section",
                index=first,
            ),
            N_(
                "add `project: {{licences: [EUPL-1.2, MIT]}}` (files, links, gallery and "
                "reviews_per_project are optional)"
            ),
        )
    if c.project is None:
        return
    if not has_phase:
        yield Issue(
            ("project",),
            N_("the bundle has a `project` section but no phase of kind project"),
            N_("add a phase with `kind: project`, or remove the `project` section"),
            at_key=True,
        )
    seen: set[str] = set()
    for i, licence in enumerate(c.project.licences):
        if licence.lower() in seen:
            yield Issue(
                ("project", "licences", i),
                N_("licence '{licence}' is listed twice", licence=licence),
                N_("list every licence once"),
            )
        seen.add(licence.lower())
    choice = c.project.people_choice
    if choice is not None and choice.end <= choice.start:
        yield Issue(
            ("project", "people_choice", "end"),
            N_(
                "project.people_choice.end ({end}) is not after its start ({start})",
                end=_iso(choice.end),
                start=_iso(choice.start),
            ),
            N_("set end after start"),
        )


def _metric_sections(c: Challenge) -> Iterator[Issue]:
    """A phase that scores files needs `scoring`, `leaderboard` and `judging.combine`; a
    challenge whose every phase is a project may leave them out (a jury ranks it)."""
    metric = [i for i, p in enumerate(c.phases) if p.kind is not PhaseKind.PROJECT]
    if not metric:
        return
    first = metric[0]
    here = f"phases[{first}] ({c.phases[first].name})"
    if c.scoring is None:
        yield Issue(
            ("phases", first, "kind"),
            N_(
                "{phase} is a {kind} phase but the bundle has no `scoring` section",
                phase=here,
                kind=c.phases[first].kind.value,
            ),
            N_(
                "add `scoring:` with `builtin:` or `program:` (only a challenge whose every "
                "phase is `kind: project` may leave it out)"
            ),
        )
    if c.leaderboard is None:
        yield Issue(
            ("phases", first, "kind"),
            N_(
                "{phase} is a {kind} phase but the bundle has no `leaderboard` section",
                phase=here,
                kind=c.phases[first].kind.value,
            ),
            N_(
                "add `leaderboard:` with columns and rank_by (only a challenge whose every "
                "phase is `kind: project` may leave it out)"
            ),
        )
    if c.judging.combine is None:
        yield Issue(
            ("judging",),
            N_("judging has no `combine`, which a challenge with a scored phase needs"),
            N_(
                "add `combine: {{metric_weight: 0.7, rubric_weight: 0.3}}` under judging "
                "(only a project-only challenge may leave it out)"
            ),
            at_key=True,
        )


def _scoring(c: Challenge) -> Iterator[Issue]:
    scoring = c.scoring
    if scoring is None:
        return
    if (scoring.builtin is None) == (scoring.program is None):
        both = scoring.builtin is not None
        yield Issue(
            ("scoring",),
            N_("scoring has both `builtin` and `program`")
            if both
            else N_("scoring has neither `builtin` nor `program`"),
            N_(
                "keep exactly one: `builtin` (a metric per leaderboard column) or `program` "
                "(your own scoring program)"
            ),
            at_key=True,
        )
    if scoring.builtin is not None:
        if not scoring.predictions_file.lower().endswith(".csv"):
            yield Issue(
                ("scoring", "predictions_file"),
                N_(
                    "built-in scoring reads CSV, but predictions_file is '{file}'",
                    file=scoring.predictions_file,
                ),
                N_("name the predictions file with a .csv extension, e.g. predictions.csv"),
            )
        if len(c.data.reference) != 1:
            yield Issue(
                ("data", "reference"),
                N_(
                    "built-in scoring needs exactly one reference CSV, found {count}",
                    count=len(c.data.reference),
                ),
                N_("list one CSV under data.reference holding the id, target and split columns"),
                at_key=True,
            )
        elif not c.data.reference[0].path.lower().endswith(".csv"):
            yield Issue(
                ("data", "reference", 0, "path"),
                N_(
                    "the reference file '{file}' is not a .csv file",
                    file=c.data.reference[0].path,
                ),
                N_("built-in scoring reads the answers from a CSV file"),
            )


def _columns(c: Challenge) -> Iterator[Issue]:
    if c.leaderboard is None:
        return
    builtin = c.scoring is not None and c.scoring.builtin is not None
    program = c.scoring is not None and c.scoring.program is not None and not builtin
    seen: dict[str, int] = {}
    for i, column in enumerate(c.leaderboard.columns):
        loc: Loc = ("leaderboard", "columns", i)
        if column.key in seen:
            yield Issue(
                (*loc, "key"),
                N_(
                    "column key '{key}' is used twice (also leaderboard.columns[{index}])",
                    key=column.key,
                    index=seen[column.key],
                ),
                N_("give every leaderboard column its own key"),
            )
        seen.setdefault(column.key, i)
        if builtin and column.metric is None:
            yield Issue(
                loc,
                N_("column '{key}' has no `metric`, which built-in scoring needs", key=column.key),
                N_(
                    "add `metric:` with one of: {metrics}",
                    metrics=", ".join(sorted(BUILTIN_METRICS)),
                ),
            )
        if column.metric is not None:
            if program:
                yield Issue(
                    (*loc, "metric"),
                    N_(
                        "column '{key}' has `metric: {metric}`, but scoring uses a program, "
                        "which computes the columns itself",
                        key=column.key,
                        metric=column.metric,
                    ),
                    N_(
                        "remove `metric` (the program must write a value for key '{key}'), "
                        "or switch to builtin scoring",
                        key=column.key,
                    ),
                    at_key=True,
                )
            elif column.metric not in BUILTIN_METRICS:
                yield Issue(
                    (*loc, "metric"),
                    N_("unknown metric '{metric}'", metric=column.metric),
                    N_("use one of: {names}", names=", ".join(sorted(BUILTIN_METRICS))),
                )
            else:
                allowed = METRIC_PARAMS[column.metric]
                for name in column.params:
                    if name not in allowed:
                        accepted = listed(sorted(allowed), N_("none"))
                        yield Issue(
                            (*loc, "params", name),
                            N_(
                                "metric '{metric}' has no parameter '{name}'",
                                metric=column.metric,
                                name=name,
                            ),
                            N_(
                                "parameters accepted by {metric}: {names}",
                                metric=column.metric,
                                names=accepted,
                            ),
                            at_key=True,
                        )
        elif program and column.params:
            yield Issue(
                (*loc, "params"),
                N_("`params` only applies to built-in metrics"),
                N_("remove `params`; your scoring program decides how to compute the column"),
                at_key=True,
            )


def _ranking(c: Challenge) -> Iterator[Issue]:
    board = c.leaderboard
    if board is None:
        return
    keys = [column.key for column in board.columns]
    columns = ", ".join(keys)
    if board.rank_by not in keys:
        yield Issue(
            ("leaderboard", "rank_by"),
            N_("rank_by '{key}' is not a leaderboard column", key=board.rank_by),
            N_("use one of the column keys: {keys}", keys=columns),
        )
    seen: set[str] = set()
    for i, key in enumerate(board.tie_breakers):
        loc: Loc = ("leaderboard", "tie_breakers", i)
        if key not in keys:
            yield Issue(
                loc,
                N_("tie-breaker '{key}' is not a leaderboard column", key=key),
                N_("use one of the column keys: {keys}", keys=columns),
            )
        elif key == board.rank_by:
            yield Issue(
                loc,
                N_("tie-breaker '{key}' is also rank_by", key=key),
                N_("remove it from tie_breakers: ties on rank_by cannot be broken by rank_by"),
            )
        elif key in seen:
            yield Issue(loc, N_("tie-breaker '{key}' is listed twice", key=key), N_("list it once"))
        seen.add(key)


def _phases(c: Challenge) -> Iterator[Issue]:
    names: dict[str, int] = {}
    for i, phase in enumerate(c.phases):
        loc: Loc = ("phases", i)
        here = f"phases[{i}] ({phase.name})"  # a place in the YAML: the same in any language
        if phase.name in names:
            yield Issue(
                (*loc, "name"),
                N_(
                    "phase name '{name}' is used twice (also phases[{index}])",
                    name=phase.name,
                    index=names[phase.name],
                ),
                N_("give every phase its own name"),
            )
        names.setdefault(phase.name, i)
        if phase.end <= phase.start:
            yield Issue(
                (*loc, "end"),
                N_(
                    "{phase}.end ({end}) is not after its start ({start})",
                    phase=here,
                    end=_iso(phase.end),
                    start=_iso(phase.start),
                ),
                N_("set end after start"),
            )
        if i > 0:
            before = c.phases[i - 1]
            if phase.start < before.end:
                yield Issue(
                    (*loc, "start"),
                    N_(
                        "{phase} starts at {start}, before phases[{index}] ({name}) ends at {end}",
                        phase=here,
                        start=_iso(phase.start),
                        index=i - 1,
                        name=before.name,
                        end=_iso(before.end),
                    ),
                    N_(
                        "phases are listed in order and must not overlap: start this phase at or "
                        "after the previous one's end"
                    ),
                )
        if phase.kind is PhaseKind.CODE and phase.code is None:
            yield Issue(
                loc,
                N_("{phase} is a code phase but has no `code` block", phase=here),
                N_(
                    'add `code: {{command: ["python3", "main.py"]}}` (time_limit_s, memory_mb '
                    "and cpus are optional)"
                ),
            )
        if phase.kind is PhaseKind.PROJECT and phase.code is not None:
            yield Issue(
                (*loc, "code"),
                N_("{phase} is a project phase, so its `code` block would never run", phase=here),
                N_("remove `code`: judges review projects, nothing is run"),
                at_key=True,
            )
        if phase.kind is PhaseKind.PREDICTIONS and phase.code is not None:
            yield Issue(
                (*loc, "code"),
                N_(
                    "{phase} accepts predictions files, so its `code` block would never run",
                    phase=here,
                ),
                N_("remove `code`, or set `kind: code` if teams upload programs"),
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
                N_(
                    "{phase} allows {per_day} submissions a day but only {total} in total",
                    phase=here,
                    per_day=limits.per_day,
                    total=limits.total,
                ),
                N_("make per_day at most total"),
            )


def _images(c: Challenge, allowed: Collection[str]) -> Iterator[Issue]:
    """Only images the administrator allows, which workers already have.

    An image name can carry a registry address (`127.0.0.1:8200/x:v1`): an image
    chosen freely would let a bundle make the Docker engine contact any host.
    """
    named: list[tuple[Loc, str | None]] = [(("runner_image",), c.runner_image)]
    named += [(("phases", i, "runner_image"), p.runner_image) for i, p in enumerate(c.phases)]
    images = listed(sorted(allowed), N_("none"))
    for loc, image in named:
        if image is not None and image not in allowed:
            yield Issue(
                loc,
                N_(
                    "runner_image '{image}' is not an image this site allows (allowed: {images})",
                    image=image,
                    images=images,
                ),
                N_(
                    "write `runner_image: null` to use the site's image, or ask the site's "
                    "administrator to allow it (setting MAREA_ALLOWED_RUNNER_IMAGES) and to put "
                    "it on every worker's Docker engine: workers never download images"
                ),
            )


def _data(c: Challenge) -> Iterator[Issue]:
    reference = {posixpath.normpath(item.path) for item in c.data.reference}
    for page_name, paths in c.pages:
        for lang in ("it", "en"):
            written = getattr(paths, lang)
            if posixpath.normpath(written) in reference:
                yield Issue(
                    ("pages", page_name, lang),
                    N_(
                        "the {page} page ({lang}) is the reference (hidden answers) file "
                        "'{file}' and would be shown to everyone",
                        page=page_name,
                        lang=lang,
                        file=written,
                    ),
                    N_(
                        "point the page at its Markdown file; answers are named only under "
                        "data.reference"
                    ),
                )
    for role in ("public", "reference", "inputs"):
        seen: set[str] = set()
        for i, item in enumerate(getattr(c.data, role)):
            loc: Loc = ("data", role, i, "path")
            path = posixpath.normpath(item.path)
            if path in seen:
                yield Issue(
                    loc,
                    N_("'{file}' is listed twice in data.{role}", file=item.path, role=role),
                    N_("list it once"),
                )
            seen.add(path)
            if role != "reference" and path in reference:
                yield Issue(
                    loc,
                    N_(
                        "'{file}' is a reference (hidden answers) file and would be given out "
                        "through data.{role}",
                        file=item.path,
                        role=role,
                    ),
                    N_(
                        "keep answers only under data.reference; give participants a copy "
                        "without the target column"
                    ),
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
                    N_(
                        "{key} '{folder}' contains the reference file '{file}'",
                        key=key,
                        folder=folder,
                        file=path,
                    ),
                    N_("move the answers out of the {key} folder", key=key),
                )


def _teams_and_judging(c: Challenge) -> Iterator[Issue]:
    if c.teams.min_size > c.teams.max_size:
        yield Issue(
            ("teams", "min_size"),
            N_(
                "teams.min_size ({min}) is larger than max_size ({max})",
                min=c.teams.min_size,
                max=c.teams.max_size,
            ),
            N_("make min_size at most max_size"),
        )
    judging = c.judging
    if judging.scale.min >= judging.scale.max:
        yield Issue(
            ("judging", "scale", "max"),
            N_(
                "judging.scale.max ({max}) must be above min ({min})",
                max=judging.scale.max,
                min=judging.scale.min,
            ),
            N_("use a scale such as {{min: 1, max: 5}}"),
        )
    points = judging.scale.max - judging.scale.min + 1
    labels = judging.scale.labels
    if labels is not None and points > 0 and len(labels) != points:
        yield Issue(
            ("judging", "scale", "labels"),
            N_(
                "judging.scale.labels has {count} labels but the scale {min} to {max} has "
                "{points} points",
                count=len(labels),
                min=judging.scale.min,
                max=judging.scale.max,
                points=points,
            ),
            N_("give one label per point of the scale, lowest first, or leave labels out"),
            at_key=True,
        )
    keys: dict[str, int] = {}
    for i, criterion in enumerate(judging.rubric):
        if criterion.key in keys:
            yield Issue(
                ("judging", "rubric", i, "key"),
                N_(
                    "rubric key '{key}' is used twice (also judging.rubric[{index}])",
                    key=criterion.key,
                    index=keys[criterion.key],
                ),
                N_("give every criterion its own key"),
            )
        keys.setdefault(criterion.key, i)
    combine = judging.combine
    if combine is None:
        return
    total = combine.metric_weight + combine.rubric_weight
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        yield Issue(
            ("judging", "combine"),
            N_(
                "judging.combine weights sum to {total} ({metric} + {rubric}), not 1",
                total=f"{total:g}",  # written as in the YAML, whatever the reader's language
                metric=f"{combine.metric_weight:g}",
                rubric=f"{combine.rubric_weight:g}",
            ),
            N_("choose metric_weight and rubric_weight that add up to 1, e.g. 0.7 and 0.3"),
            at_key=True,
        )


def _code_logs(c: Challenge) -> Iterator[Issue]:
    """`excerpt_bytes` caps an excerpt; with any other log policy it would be silently ignored."""
    for i, phase in enumerate(c.phases):
        code = phase.code
        if code is None or code.excerpt_bytes is None or code.logs is LogMode.EXCERPT:
            continue
        mode = N_("the default") if code.logs is None else f"`{code.logs.value}`"
        yield Issue(
            ("phases", i, "code", "excerpt_bytes"),
            N_(
                "phases[{index}] ({name}).code sets excerpt_bytes, but its log policy is {mode}, "
                "not `excerpt`, so no excerpt is ever cut",
                index=i,
                name=phase.name,
                mode=mode,
            ),
            N_(
                "remove excerpt_bytes, or set `logs: excerpt` to show teams only excerpts you "
                "approve"
            ),
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
    pairs = (("primary", c.identity.primary, WHITE), ("accent", c.identity.accent, INK))
    for key, colour, text in pairs:
        if colour is None:
            continue
        ratio = contrast(colour, text)
        if ratio >= MIN_CONTRAST:
            continue
        shown = f"{ratio:.2f}"
        if key == "primary":
            message = N_(
                "white text on identity.{key} '{colour}' has a contrast of {ratio}:1, under the "
                "{least}:1 that WCAG AA asks for",
                key=key,
                colour=colour,
                ratio=shown,
                least=MIN_CONTRAST,
            )
            hint = N_(
                "choose a darker {key} colour (the site writes white text, {text}, on it)",
                key=key,
                text=text,
            )
        else:
            message = N_(
                "dark text on identity.{key} '{colour}' has a contrast of {ratio}:1, under the "
                "{least}:1 that WCAG AA asks for",
                key=key,
                colour=colour,
                ratio=shown,
                least=MIN_CONTRAST,
            )
            hint = N_(
                "choose a lighter {key} colour (the site writes dark text, {text}, on it)",
                key=key,
                text=text,
            )
        yield Issue(("identity", key), message, hint)


def _compute(c: Challenge, pools: Collection[ComputePool]) -> Iterator[Issue]:
    """Each phase runs in a pool the site declares (MAREA_POOLS), big enough for its limits.

    A phase's `compute` replaces the challenge's; neither means the pool `default`. A site that
    declares no pools accepts any name: nothing here knows what its workers offer.
    """
    if not pools:
        return
    by_name = {pool.name: pool for pool in pools}
    names = listed(sorted(by_name), N_("none"))
    for i, phase in enumerate(c.phases):
        if phase.kind == PhaseKind.PROJECT and phase.compute is None:
            continue  # judges review projects: no worker runs them
        if phase.compute is not None:
            at: Loc = ("phases", i, "compute")
        elif c.compute is not None:
            at = ("compute",)
        else:
            at = ("phases", i, "name")
        compute = phase.compute or c.compute
        name = compute.pool if compute else DEFAULT_POOL
        here = f"phases[{i}] ({phase.name})"
        pool = by_name.get(name)
        if pool is None:
            yield Issue(
                (*at, "pool") if compute else at,
                N_(
                    "{phase} runs in compute pool '{pool}', which this site does not have "
                    "(pools: {pools})",
                    phase=here,
                    pool=name,
                    pools=names,
                ),
                N_("write `compute: {{pool: NAME}}` with one of this site's pools"),
            )
            continue
        wanted: list[tuple[Loc, str, float, float]] = []
        if compute is not None and compute.gpus:
            wanted.append(((*at, "gpus"), "gpus", compute.gpus, pool.gpus))
        if phase.code is not None:
            code: Loc = ("phases", i, "code")
            wanted.append(((*code, "memory_mb"), "memory_mb", phase.code.memory_mb, pool.memory_mb))
            wanted.append(((*code, "cpus"), "cpus", phase.code.cpus, pool.cpus))
        program = c.scoring.program if c.scoring is not None else None  # optional on main
        if program is not None:
            memory = program.memory_mb
            wanted.append(
                (("scoring", "program", "memory_mb"), "memory_mb", memory, pool.memory_mb)
            )
        for loc, key, asked, offered in wanted:
            if asked > offered:
                yield Issue(
                    loc,
                    N_(
                        "{phase} asks for {key}: {asked}, more than compute pool '{pool}' "
                        "offers ({offered})",
                        phase=here,
                        key=key,
                        asked=asked,
                        offered=offered,
                        pool=name,
                    ),
                    N_(
                        "ask for at most {offered}, or name a pool that offers more "
                        "(pools: {pools})",
                        offered=offered,
                        pools=names,
                    ),
                )
