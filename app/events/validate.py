"""Checking an event folder (event.yaml and the files it names), without a database.

The stages mirror a challenge bundle's (YAML, schema, rules, files) and report
`BundleError`s, so `marea event validate` prints the same `file:line:col`
lines organisers already know. Which challenges exist is a question for the
database, so `load.py` checks that, not this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from app.bundles.errors import N_, BundleError, ErrorCategory, Words
from app.bundles.explain import schema_errors
from app.bundles.files import FileAt, check_page
from app.bundles.limits import DEFAULT_LIMITS, human_size
from app.bundles.rules import issue_errors
from app.bundles.source import YamlDocument, YamlProblem, parse_yaml
from app.events.rules import check_rules
from app.events.schema import EVENT_FILE, Event

MAX_LOGO_BYTES = 1024 * 1024

# The first bytes of the raster images a logo may be; never SVG, which can carry script.
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def image_type(head: bytes) -> str | None:
    """The content type of a PNG, JPEG or WebP by its first bytes; None for anything else."""
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass
class EventReport:
    """What `validate_event` found; `event` is set once the YAML matched the schema."""

    source: Path
    root: Path
    errors: list[BundleError] = field(default_factory=list)
    event: Event | None = None
    pages: dict[str, dict[str, str]] = field(default_factory=dict)
    logos: dict[str, Path] = field(default_factory=dict)  # partner key → file

    @property
    def ok(self) -> bool:
        return not self.errors and self.event is not None


def validate_event(source: Path) -> EventReport:
    """Check an event folder, or the event.yaml inside one."""
    root = source.parent if source.is_file() else source
    report = EventReport(source, root)
    yaml_path = root / EVENT_FILE
    if not yaml_path.is_file():
        report.errors.append(
            BundleError(
                EVENT_FILE,
                None,
                None,
                N_("no {file} in {folder}", file=EVENT_FILE, folder=str(root)),
                N_(
                    "write {file} in the event folder (see docs/challenge-format.md, 'Events')",
                    file=EVENT_FILE,
                ),
                ErrorCategory.FILE,
            )
        )
        return report
    size = yaml_path.stat().st_size
    if size > DEFAULT_LIMITS.max_yaml_bytes:
        report.errors.append(
            BundleError(
                EVENT_FILE,
                None,
                None,
                N_(
                    "{file} is {size}, over the {limit} limit",
                    file=EVENT_FILE,
                    size=human_size(size),
                    limit=human_size(DEFAULT_LIMITS.max_yaml_bytes),
                ),
                N_("move long texts into the Markdown pages it names"),
                ErrorCategory.FILE,
            )
        )
        return report
    try:
        text = yaml_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.errors.append(
            BundleError(
                EVENT_FILE,
                None,
                None,
                N_("{file} is not valid UTF-8", file=EVENT_FILE),
                N_("save the file as UTF-8 in your editor"),
                ErrorCategory.SYNTAX,
            )
        )
        return report
    doc = parse_yaml(text)
    if isinstance(doc, YamlProblem):
        report.errors.append(
            BundleError(
                EVENT_FILE, doc.line, doc.column, doc.message, doc.hint, ErrorCategory.SYNTAX
            )
        )
        return report
    try:
        event = Event.model_validate(doc.data)
    except ValidationError as exc:
        report.errors.extend(schema_errors(exc, doc, EVENT_FILE, root=Event))
        return report
    report.errors.extend(_rule_errors(event, doc))
    report.errors.extend(_file_errors(event, doc, report))
    if not report.errors:
        report.event = event
    return report


def _rule_errors(event: Event, doc: YamlDocument) -> list[BundleError]:
    return issue_errors(check_rules(event), doc, EVENT_FILE)


def _file(
    root: Path, rel: str, loc: tuple[str | int, ...], doc: YamlDocument
) -> FileAt | BundleError:
    """The regular file `rel` inside the event folder, or an error at the key naming it."""
    position = doc.locate(loc)
    path = root / rel
    resolved_root = root.resolve()
    try:
        inside = path.resolve().is_relative_to(resolved_root)
    except OSError:
        inside = False
    message: Words
    hint: Words
    if not inside or path.is_symlink():
        message = N_("'{path}' leaves the event folder", path=rel)
        hint = N_("put the file inside the event folder")
    elif not path.is_file():
        message = N_("'{path}' does not exist", path=rel)
        hint = N_("add {path} to the event folder, or fix the path", path=rel)
    else:
        return FileAt(rel, path)
    return BundleError(
        EVENT_FILE,
        position.line if position else None,
        position.column if position else None,
        message,
        hint,
        ErrorCategory.FILE,
    )


def _file_errors(event: Event, doc: YamlDocument, report: EventReport) -> list[BundleError]:
    errors: list[BundleError] = []
    for name, texts in event.pages.model_dump().items():
        if texts is None:
            continue
        for lang, rel in texts.items():
            found = _file(report.root, rel, ("pages", name, lang), doc)
            if isinstance(found, BundleError):
                errors.append(found)
                continue
            problems = check_page(found, DEFAULT_LIMITS)
            errors.extend(problems)
            if not problems:
                report.pages.setdefault(name, {})[lang] = found.path.read_text(encoding="utf-8")
    for i, partner in enumerate(event.partners):
        if partner.logo is None:
            continue
        found = _file(report.root, partner.logo, ("partners", i, "logo"), doc)
        if isinstance(found, BundleError):
            errors.append(found)
            continue
        size = found.path.stat().st_size
        with found.path.open("rb") as handle:
            head = handle.read(16)
        if size > MAX_LOGO_BYTES:
            problem = N_(
                "logo is {size}, over the {limit} limit",
                size=human_size(size),
                limit=human_size(MAX_LOGO_BYTES),
            )
            fix = N_("export it smaller (a logo 400 px wide is plenty)")
        elif image_type(head) is None:
            problem = N_("logo is not a PNG, JPEG or WebP image")
            fix = N_("export the logo as PNG (SVG is not accepted: it can carry script)")
        else:
            report.logos[partner.key] = found.path
            continue
        errors.append(BundleError(partner.logo, None, None, problem, fix, ErrorCategory.FILE))
    return errors
