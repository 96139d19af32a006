"""Checking a whole bundle, folder or zip, without a database.

The checks run in stages (archive, YAML, schema, rules, files); a stage that
fails leaves nothing sound for the next, so validation stops there, except that
rule and file errors are reported together: an organiser fixing a bundle wants
the full list at once, not one error per run.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from pydantic import ValidationError

from app.bundles.archive import bundle_root, extract_zip, remove_tree
from app.bundles.errors import BundleError, ErrorCategory
from app.bundles.explain import schema_errors
from app.bundles.files import (
    CHALLENGE_FILE,
    BundleFile,
    FileRole,
    Located,
    bundle_digest,
    check_page,
    check_prediction_header,
    check_reference_csv,
    check_sizes,
    locate,
    manifest,
    references,
)
from app.bundles.limits import DEFAULT_LIMITS, BundleLimits, human_size
from app.bundles.rules import check_rules
from app.bundles.schema import Challenge
from app.bundles.source import YamlDocument, YamlProblem, parse_yaml


class _Owned:
    """Owns the temporary folder a zip was unpacked into, if any."""

    _scratch: Path | None

    def close(self) -> None:
        if self._scratch is not None:
            remove_tree(self._scratch)
            self._scratch = None

    def __enter__(self) -> _Owned:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@dataclass
class ValidationReport(_Owned):
    """The outcome of `validate_bundle`.

    For a zip, `root` is a temporary folder that lives until `close()` (or the end
    of a `with` block); for a folder it is the folder itself.
    """

    source: Path
    errors: list[BundleError] = field(default_factory=list)
    challenge: Challenge | None = None
    root: Path | None = None
    _scratch: Path | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors and self.challenge is not None

    def __enter__(self) -> ValidationReport:
        return self


@dataclass
class LoadedBundle(_Owned):
    """A valid bundle: its model, its files, and one hash over them all."""

    source: Path
    root: Path
    challenge: Challenge
    files: list[BundleFile]
    sha256: str
    _scratch: Path | None = field(default=None, repr=False)

    def __enter__(self) -> LoadedBundle:
        return self

    def path_of(self, item: BundleFile) -> Path:
        return self.root / item.path


class BundleInvalid(Exception):
    """Raised by `load_bundle`; carries the report so callers can show every error."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        first = report.errors[0] if report.errors else None
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        super().__init__(f"invalid bundle {report.source}: {first}{more}")


def validate_bundle(path: Path, limits: BundleLimits = DEFAULT_LIMITS) -> ValidationReport:
    """Check the bundle at `path` (a folder or a .zip of one); never raises for bad content."""
    report = ValidationReport(source=path)
    if path.is_dir():
        report.root = path.resolve()
    elif path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)):
        report._scratch = Path(tempfile.mkdtemp(prefix="marea-bundle-"))
        report.errors = extract_zip(path, report._scratch, limits)
        if report.errors:
            report.close()
            return report
        report.root = bundle_root(report._scratch).resolve()
    else:
        missing = not path.exists()
        report.errors.append(
            BundleError(
                path.name or str(path),
                None,
                None,
                "no such file or folder" if missing else "not a folder or a .zip file",
                "give the folder holding challenge.yaml, or a zip of that folder",
                ErrorCategory.ARCHIVE,
            )
        )
        return report
    challenge, errors = _check(report.root, limits)
    report.errors = errors
    if not errors:
        report.challenge = challenge
    elif report._scratch is not None:
        report.close()
    return report


def load_bundle(path: Path, limits: BundleLimits = DEFAULT_LIMITS) -> LoadedBundle:
    """Validate and hash a bundle; raises `BundleInvalid` (with the report) if it is not valid.

    Use as a context manager: for a zip, the unpacked files go away on exit.
    """
    report = validate_bundle(path, limits)
    if not report.ok or report.challenge is None or report.root is None:
        report.close()
        raise BundleInvalid(report)
    try:
        files = bundle_files(report.root, report.challenge)
    except BundleInvalid:
        report.close()
        raise
    return LoadedBundle(
        source=path,
        root=report.root,
        challenge=report.challenge,
        files=files,
        sha256=bundle_digest(files),
        _scratch=report._scratch,
    )


def bundle_files(root: Path, challenge: Challenge) -> list[BundleFile]:
    """Every file of a validated bundle with role, sha256 and size (challenge.yaml first).

    Folders (scoring program, starter kit, code baseline) are listed file by file;
    hidden files such as .git or __pycache__ are left out. A file that plays two
    roles (say public data also mounted as input) is listed once per role.
    """
    root = root.resolve()
    located = [locate(root, ref, (None, None)) for ref in references(challenge)]
    errors = [e for item in located for e in item.errors]
    if errors:
        raise BundleInvalid(ValidationReport(source=root, errors=errors, root=root))
    return manifest(root, located)


def _yaml_error(problem: YamlProblem) -> BundleError:
    return BundleError(
        CHALLENGE_FILE,
        problem.line,
        problem.column,
        problem.message,
        problem.hint,
        ErrorCategory.SYNTAX,
    )


def _read_document(root: Path, limits: BundleLimits) -> YamlDocument | BundleError:
    config = root / CHALLENGE_FILE
    if not config.is_file() or config.is_symlink():
        return BundleError(
            CHALLENGE_FILE,
            None,
            None,
            "the bundle has no challenge.yaml at its top level",
            "put challenge.yaml in the bundle folder (or at the top of the zip)",
            ErrorCategory.FILE,
        )
    size = config.stat().st_size
    if size > limits.max_yaml_bytes:
        return BundleError(
            CHALLENGE_FILE,
            None,
            None,
            f"challenge.yaml is {human_size(size)}, over the "
            f"{human_size(limits.max_yaml_bytes)} limit",
            "move long texts into the Markdown pages",
            ErrorCategory.FILE,
        )
    raw = config.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return BundleError(
            CHALLENGE_FILE,
            line,
            None,
            "challenge.yaml is not valid UTF-8",
            "save it as UTF-8 in your editor",
            ErrorCategory.SYNTAX,
        )
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlProblem):
        return _yaml_error(parsed)
    return parsed


def _check(root: Path, limits: BundleLimits) -> tuple[Challenge | None, list[BundleError]]:
    doc = _read_document(root, limits)
    if isinstance(doc, BundleError):
        return None, [doc]
    try:
        challenge = Challenge.model_validate(doc.data)
    except ValidationError as exc:
        return None, schema_errors(exc, doc, CHALLENGE_FILE)
    errors: list[BundleError] = []
    for issue in check_rules(challenge):
        position = doc.locate(issue.loc, at_key=issue.at_key)
        errors.append(
            BundleError(
                CHALLENGE_FILE,
                position.line if position else None,
                position.column if position else None,
                issue.message,
                issue.hint,
                ErrorCategory.RULE,
            )
        )
    located: list[Located] = []
    for ref in references(challenge):
        position = doc.locate(ref.loc)
        item = locate(root, ref, (position.line, position.column) if position else (None, None))
        located.append(item)
        errors.extend(item.errors)
    errors.extend(check_sizes(root, [item for item in located if not item.errors], limits))
    errors.extend(_check_contents(root, challenge, located, limits))
    return challenge, errors


def _check_contents(
    root: Path, challenge: Challenge, located: list[Located], limits: BundleLimits
) -> list[BundleError]:
    errors: list[BundleError] = []
    usable = [item for item in located if not item.errors]
    for item in usable:
        if item.ref.role is FileRole.PAGE:
            errors.extend(check_page(root, item.files[0], limits))
    builtin = challenge.scoring.builtin
    if builtin is None:
        return errors
    answers = [item for item in usable if item.ref.role is FileRole.REFERENCE]
    if len(answers) == 1 and len(challenge.data.reference) == 1:
        errors.extend(check_reference_csv(root, answers[0].files[0], builtin, limits))
    for item in usable:
        if item.ref.role is FileRole.BASELINE and len(item.files) == 1:
            rel = item.files[0]
            if rel.lower().endswith(".csv") and (root / rel).is_file():
                needed = {
                    builtin.id_column: "id_column",
                    builtin.prediction_column: "prediction_column",
                }
                errors.extend(check_prediction_header(root, rel, needed))
    return errors
