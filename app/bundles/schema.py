"""The shape of challenge.yaml (format 1) as Pydantic models.

This module is the single source of truth for the keys of a bundle: every model
forbids unknown keys, because a misspelt optional key that is silently ignored
(Codabench does this) costs an organiser a day of wondering why a limit does not
apply. Rules that relate several keys (dates, column references, scoring mode)
live in `rules.py`, where each error can point at the exact key to change.

Field descriptions double as the fix hint shown when a value is rejected, so they are
`N_(...)` (a `str` that can also be said in Italian), as are the validators' ValueErrors.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)

from app.text.words import N_
from judging import BUILTIN_METRICS as JUDGING_METRICS
from judging import METRIC_PARAMS as JUDGING_METRIC_PARAMS

# Metric names and their parameters come from judging, which computes them: one list.
BUILTIN_METRICS = frozenset(JUDGING_METRICS)
METRIC_PARAMS: dict[str, frozenset[str]] = dict(JUDGING_METRIC_PARAMS)

FORMAT_VERSION = 1


class Theme(StrEnum):
    SEA = "sea"
    PORTS = "ports"
    COASTS = "coasts"
    ENERGY = "energy"
    MOBILITY = "mobility"
    WATER = "water"
    RISK = "risk"
    LIGHTING = "lighting"


class PhaseKind(StrEnum):
    PREDICTIONS = "predictions"  # teams upload a predictions file
    CODE = "code"  # teams upload a program that writes the predictions file
    PROJECT = "project"  # teams hand in a project (pages, links, files) that judges review


class Better(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError(N_("must not be blank"))
    return value


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def _bundle_path(value: str) -> str:
    """Refuse paths that could name something outside the bundle, before touching disk."""
    if not value.strip():
        raise ValueError(N_("must not be blank"))
    if "\x00" in value:
        raise ValueError(N_("must not contain a NUL character"))
    if "\\" in value:
        raise ValueError(N_("use forward slashes '/' in paths, not backslashes"))
    if value.startswith("/") or _WINDOWS_DRIVE.match(value):
        raise ValueError(
            N_("'{path}' is an absolute path; paths are relative to the bundle folder", path=value)
        )
    if ".." in value.split("/"):
        raise ValueError(N_("'{path}' uses '..' and could leave the bundle folder", path=value))
    return value


def _number(value: Any) -> Any:
    """Numbers only: YAML `true` or "0.5" in quotes are mistakes, not weights."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(N_("must be a number"))
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
BundlePath = Annotated[
    str,
    AfterValidator(_bundle_path),
    Field(description=N_("a path relative to the bundle folder, with '/' separators and no '..'")),
]


def _time_zone(value: str) -> str:
    """Refuse a zone this machine cannot convert to, before any page needs it."""
    if value not in _zones():
        raise ValueError(N_("{zone} is not a time zone name", zone=repr(value)))
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


TimeZone = Annotated[
    str,
    AfterValidator(_time_zone),
    Field(description=N_("an IANA time zone name such as 'Europe/Rome' or 'UTC'")),
]
Number = Annotated[float, BeforeValidator(_number)]
Count = Annotated[StrictInt, Field(ge=1, description=N_("a whole number, at least 1"))]
Key = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description=N_("a lowercase name: a letter, then letters, digits or '_' (max 32)"),
    ),
]
ColumnName = Annotated[
    str,
    Field(
        pattern=r"^[^,\"\r\n]{1,100}$",
        description=N_("the exact header of a CSV column (no commas, quotes or newlines)"),
    ),
]
ImageRef = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._/:@-]{0,254}$",
        description=N_("a Docker image reference such as 'marea-runner:py311', or null"),
    ),
]
Command = Annotated[
    list[Annotated[str, Field(min_length=1)]],
    Field(min_length=1, description=N_('a command as a list, e.g. ["python3", "main.py"]')),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Localised(Model):
    """A text in both languages of the platform; neither may be left out."""

    it: Text = Field(description=N_("the Italian text"))
    en: Text = Field(description=N_("the English text"))


class LocalisedPath(Model):
    it: BundlePath
    en: BundlePath


class Organiser(Model):
    name: Text = Field(description=N_("the organiser's name as shown on the challenge page"))
    email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description=N_("a contact e-mail address such as hackathon@example.org"),
    )
    url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description=N_("a web address starting with https://"),
    )


class Pages(Model):
    overview: LocalisedPath = Field(
        description=N_("{{it: pages/overview.it.md, en: pages/overview.en.md}}")
    )
    data: LocalisedPath = Field(description=N_("{{it: pages/data.it.md, en: pages/data.en.md}}"))
    evaluation: LocalisedPath = Field(
        description=N_("{{it: pages/evaluation.it.md, en: pages/evaluation.en.md}}")
    )
    rules: LocalisedPath = Field(description=N_("{{it: pages/rules.it.md, en: pages/rules.en.md}}"))


class DataFile(Model):
    path: BundlePath = Field(
        description=N_("a path relative to the bundle folder, e.g. data/train.csv")
    )
    description: Localised | None = None


class Data(Model):
    public: list[DataFile] = Field(default_factory=list)
    reference: list[DataFile] = Field(default_factory=list)
    inputs: list[DataFile] = Field(default_factory=list)


class BuiltinScoring(Model):
    id_column: ColumnName = "id"
    target_column: ColumnName = Field(description=N_("the reference column holding the truth"))
    prediction_column: ColumnName = Field(description=N_("the predictions column to score"))
    split_column: ColumnName = "split"


class ProgramScoring(Model):
    path: BundlePath = Field(
        description=N_("the folder holding the scoring program, e.g. scoring/")
    )
    command: Command = Field(
        description=N_('the command to run in that folder, e.g. ["python3", "score.py"]')
    )
    time_limit_s: StrictInt = Field(
        default=120, ge=1, le=3600, description=N_("a whole number of seconds, between 1 and 3600")
    )
    memory_mb: StrictInt = Field(
        default=1024,
        ge=64,
        le=16384,
        description=N_("a whole number of megabytes, between 64 and 16384"),
    )


class Scoring(Model):
    builtin: BuiltinScoring | None = None
    program: ProgramScoring | None = None
    predictions_file: str = Field(
        default="predictions.csv",
        pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$",
        description=N_("a plain file name such as predictions.csv (no folders)"),
    )


class Column(Model):
    key: Key
    label: Localised = Field(description=N_("the column header, in Italian and English"))
    better: Better = Field(description=N_("lower or higher: which values rank first"))
    precision: StrictInt = Field(
        default=4, ge=0, le=10, description=N_("a whole number of decimals shown, 0 to 10")
    )
    metric: str | None = Field(
        default=None, description=N_("a built-in metric name (builtin scoring only)")
    )
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description=N_("metric parameters, e.g. {{alpha: 0.9}}")
    )


class Leaderboard(Model):
    columns: list[Column] = Field(min_length=1, description=N_("at least one column"))
    rank_by: str = Field(description=N_("the key of the column that ranks teams"))
    tie_breakers: list[str] = Field(default_factory=list)
    final_submissions: StrictInt = Field(
        default=2, ge=1, le=20, description=N_("a whole number between 1 and 20")
    )


class Limits(Model):
    per_day: Count | None = None
    total: Count | None = None
    concurrent: Count = 1


class LogMode(StrEnum):
    FULL = "full"  # the team reads its program's logs
    EXCERPT = "excerpt"  # the team reads only an excerpt an organiser approved
    NONE = "none"  # the team reads no log text: the failure's category and message


class CodeRun(Model):
    command: Command = Field(
        description=N_('the command that runs the submission, e.g. ["python3", "main.py"]')
    )
    time_limit_s: StrictInt = Field(
        default=300,
        ge=1,
        le=86400,
        description=N_("a whole number of seconds, between 1 and 86400"),
    )
    memory_mb: StrictInt = Field(
        default=1024,
        ge=64,
        le=65536,
        description=N_("a whole number of megabytes, between 64 and 65536"),
    )
    cpus: Number = Field(
        default=1.0, gt=0, le=16, description=N_("a number of CPUs, more than 0 and at most 16")
    )
    # What the team reads of its program's output (app/submissions/log_policy.py). Unset: `full`
    # when every data.inputs file is also public, `none` otherwise.
    logs: LogMode | None = Field(
        default=None,
        description=N_(
            "full (the team reads its logs), excerpt (only an excerpt an organiser "
            "approved) or none (no log text); leave it out for the default"
        ),
    )
    excerpt_bytes: StrictInt | None = Field(
        default=None,
        ge=64,
        le=65536,
        description=N_("a whole number of bytes, between 64 and 65536 (with logs: excerpt only)"),
    )


class Compute(Model):
    pool: str = Field(
        default="default",
        pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
        description=N_("the name of a compute pool of this site, e.g. default or gpu"),
    )
    gpus: StrictInt = Field(
        default=0, ge=0, le=16, description=N_("a whole number of GPUs, between 0 and 16")
    )


class Phase(Model):
    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description=N_("lowercase letters, digits and '-' (max 64), e.g. 'development'"),
    )
    title: Localised = Field(description=N_("the phase title, in Italian and English"))
    start: AwareDatetime = Field(
        description=N_(
            "a date and time with a time zone, e.g. 2026-01-01T00:00:00Z or "
            "2026-01-01T09:00:00+01:00"
        )
    )
    end: AwareDatetime = Field(
        description=N_("a date and time with a time zone, e.g. 2026-01-15T18:00:00+01:00")
    )
    kind: PhaseKind = Field(
        description=N_(
            "predictions (upload a file), code (upload a program) or project (a project "
            "that judges review)"
        )
    )
    limits: Limits = Field(default_factory=Limits)
    code: CodeRun | None = None
    runner_image: ImageRef | None = None
    compute: Compute | None = None


class ProjectFileType(StrEnum):
    """What a project's files may be, recognised by their content, never by their name."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"
    ZIP = "zip"


class ProjectLink(StrEnum):
    REPOSITORY = "repository"
    DEMO = "demo"
    VIDEO = "video"
    SLIDES = "slides"


class GalleryMode(StrEnum):
    PUBLISHED = "published"  # public once an organiser publishes it
    LIVE = "live"  # public as soon as a team saves its project


Licence = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$",
        description=N_("an SPDX licence identifier such as 'EUPL-1.2' or 'CC-BY-4.0'"),
    ),
]


class ProjectFiles(Model):
    max_files: StrictInt = Field(
        default=5, ge=0, le=20, description=N_("a whole number between 0 and 20")
    )
    max_mb: StrictInt = Field(
        default=20, ge=1, le=200, description=N_("megabytes per file, between 1 and 200")
    )
    types: list[ProjectFileType] = Field(
        default_factory=lambda: [ProjectFileType.PDF, ProjectFileType.PNG, ProjectFileType.JPEG],
        min_length=1,
        description=N_(
            "the kinds of file teams may attach, among: {names}",
            names=", ".join(t.value for t in ProjectFileType),
        ),
    )


class PeopleChoice(Model):
    max_votes: Count = 3
    start: AwareDatetime = Field(
        description=N_("when voting opens: a date and time with a time zone")
    )
    end: AwareDatetime = Field(
        description=N_("when voting closes: a date and time with a time zone")
    )


class Project(Model):
    """What a project phase asks of a team, and how its work is shown and judged."""

    licences: list[Licence] = Field(
        min_length=1,
        max_length=30,
        description=N_("the licences the work may carry, e.g. [EUPL-1.2, MIT, CC-BY-4.0]"),
    )
    files: ProjectFiles = Field(default_factory=ProjectFiles)
    links: list[ProjectLink] = Field(
        default_factory=lambda: list(ProjectLink),
        description=N_(
            "the links the form asks for, among: {names}",
            names=", ".join(link.value for link in ProjectLink),
        ),
    )
    gallery: GalleryMode = Field(
        default=GalleryMode.PUBLISHED,
        description=N_(
            "published (public once the organisers publish it) or live (public as teams save)"
        ),
    )
    reviews_per_project: Count = Field(
        default=3, description=N_("how many judges review each project, at least 1")
    )
    people_choice: PeopleChoice | None = None


class Teams(Model):
    min_size: Count = 1
    max_size: Count = 4
    approval: StrictBool = False


class Scale(Model):
    min: StrictInt = 1
    max: StrictInt = 5
    labels: list[Localised] | None = Field(
        default=None,
        description=N_(
            "optional: one name per point of the scale, lowest first, in Italian and "
            "English, e.g. [{{it: insufficiente, en: insufficient}}, ...]"
        ),
    )


class Criterion(Model):
    key: Key
    label: Localised = Field(description=N_("the criterion name, in Italian and English"))
    weight: Number = Field(gt=0, description=N_("a number greater than 0, e.g. 0.4"))
    description: Localised | None = None


class Combine(Model):
    metric_weight: Number = Field(ge=0, le=1, description=N_("a number between 0 and 1"))
    rubric_weight: Number = Field(ge=0, le=1, description=N_("a number between 0 and 1"))
    normalise_judges: StrictBool = True


class Judging(Model):
    scale: Scale = Field(default_factory=Scale)
    rubric: list[Criterion] = Field(min_length=1, description=N_("at least one criterion"))
    finalists: Count = 10
    # Optional only for a project-only challenge, ranked by the rubric alone (rules.py).
    combine: Combine | None = Field(
        default=None, description=N_("{{metric_weight: 0.7, rubric_weight: 0.3}}")
    )


HexColour = Annotated[
    str,
    Field(
        pattern=r"^#[0-9a-fA-F]{6}$",
        description=N_("a colour as '#' and six hexadecimal digits, e.g. '#0b5f86'"),
    ),
]


class Identity(Model):
    """How a challenge looks on its pages: raster images of the bundle, and two colours.

    Colours are checked for text contrast (rules.py); images are checked by content (files.py).
    """

    logo: BundlePath | None = Field(
        default=None,
        description=N_("a PNG, JPEG or WebP file in the bundle, e.g. identity/logo.png"),
    )
    hero: BundlePath | None = Field(
        default=None,
        description=N_("a wide PNG, JPEG or WebP picture in the bundle, e.g. identity/hero.jpg"),
    )
    primary: HexColour | None = Field(
        default=None,
        description=N_(
            "a colour as '#' and six hexadecimal digits, dark enough for white text "
            "(buttons), e.g. '#0b5f86'"
        ),
    )
    accent: HexColour | None = Field(
        default=None,
        description=N_(
            "a colour as '#' and six hexadecimal digits, light enough for dark text "
            "(the current tab), e.g. '#f2c14e'"
        ),
    )


class Challenge(Model):
    format: Literal[1] = Field(description=N_("the format version: write 1"))
    slug: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{2,63}$",
        description=N_("3 to 64 lowercase letters, digits and '-', e.g. 'sea-surface-temperature'"),
    )
    title: Localised = Field(description=N_("the title, in Italian and English"))
    summary: Localised = Field(description=N_("one or two sentences, in Italian and English"))
    theme: Theme = Field(description=N_("one of: {names}", names=", ".join(t.value for t in Theme)))
    tags: list[
        Annotated[
            str,
            Field(
                pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
                description=N_("lowercase letters, digits and '-', e.g. 'time-series'"),
            ),
        ]
    ] = Field(default_factory=list, max_length=20)
    organisers: list[Organiser] = Field(min_length=1, description=N_("at least one organiser"))
    owners: list[
        Annotated[
            str,
            Field(
                pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                description=N_("an e-mail address such as dati@comune.example.it"),
            ),
        ]
    ] = Field(
        default_factory=list,
        max_length=50,
        description=N_("the e-mail addresses of the people who run this challenge on the site"),
    )
    licence: Text = Field(description=N_("the licence of the data, e.g. CC-BY-4.0"))
    source: Localised = Field(description=N_("where the data comes from, in Italian and English"))
    demo: StrictBool = Field(
        default=False,
        description=N_(
            "true for demo or practice content whose answers are public; challenge "
            "pages then say so"
        ),
    )
    pages: Pages = Field(description=N_("overview, data, evaluation and rules pages"))
    time_zone: TimeZone = Field(
        default="Europe/Rome",
        description=N_("the time zone pages show dates in, e.g. 'Europe/Rome' (the default)"),
    )
    data: Data = Field(default_factory=Data)
    starter_kit: BundlePath | None = None
    baseline: BundlePath | None = None
    runner_image: ImageRef | None = None
    # Optional only for a challenge whose every phase is a project (rules.py `_metric_sections`):
    # a jury ranks it, nothing is scored, so there is no board to describe.
    scoring: Scoring | None = Field(
        default=None, description=N_("`builtin:` or `program:`, and predictions_file")
    )
    leaderboard: Leaderboard | None = Field(
        default=None, description=N_("columns, rank_by and tie_breakers")
    )
    phases: list[Phase] = Field(min_length=1, description=N_("at least one phase"))
    teams: Teams = Field(default_factory=Teams)
    compute: Compute | None = None
    judging: Judging = Field(description=N_("scale, rubric, finalists and combine"))
    project: Project | None = Field(
        default=None,
        description=N_("licences, files, links, gallery and reviews of the project phases"),
    )
    identity: Identity | None = Field(
        default=None, description=N_("logo, hero, primary and accent: how the challenge looks")
    )

    def phase_kinds(self) -> set[PhaseKind]:
        return {phase.kind for phase in self.phases}

    def project_only(self) -> bool:
        """Every phase is a project: nothing is scored, a jury ranks the teams."""
        return self.phase_kinds() == {PhaseKind.PROJECT}
