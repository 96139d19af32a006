"""Checking a whole bundle, folder or zip, without a database.

The checks run in stages (archive, YAML, schema, rules, files); a stage that
fails leaves nothing sound for the next, so validation stops there, except that
rule and file errors are reported together: an organiser fixing a bundle wants
the full list at once, not one error per run.

A bundle may come with its hidden files supplied apart (`hidden`: a folder or
zip laid out with the same relative paths), so that the bundle itself can live
in a public repository; see docs/challenge-format.md, "Keeping answers out of
the repository".
"""

from __future__ import annotations

import dataclasses
import posixpath
import tempfile
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from pydantic import ValidationError

from app.bundles.archive import IGNORED_TOP, bundle_root, extract_zip, remove_tree
from app.bundles.errors import N_, TODO_MARKER, BundleError, ErrorCategory, Words
from app.bundles.explain import schema_errors
from app.bundles.exposure import check_exposure
from app.bundles.files import (
    CHALLENGE_FILE,
    HIDDEN_KEYS,
    HIDDEN_ROLES,
    BundleFile,
    FileAt,
    FileRole,
    Hashes,
    Located,
    Roots,
    bundle_digest,
    check_identity_image,
    check_page,
    check_prediction_header,
    check_reference_csv,
    check_sizes,
    hidden_files,
    locate,
    manifest,
    references,
)
from app.bundles.limits import DEFAULT_LIMITS, BundleLimits, human_size
from app.bundles.rules import check_rules, issue_errors
from app.bundles.schema import Challenge
from app.bundles.source import YamlDocument, YamlProblem, parse_yaml
from app.core.settings import DEFAULT_RUNNER_IMAGE, ComputePool
from app.text import placeholders

# What a bundle may name as runner_image when the caller does not pass the site's settings.
DEFAULT_IMAGES: frozenset[str] = frozenset({DEFAULT_RUNNER_IMAGE})


class _Owned:
    """Owns the temporary folders a zip (bundle or hidden files) was unpacked into, if any."""

    _scratch: list[Path]

    def close(self) -> None:
        for scratch in self._scratch:
            remove_tree(scratch)
        self._scratch = []

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
    of a `with` block); for a folder it is the folder itself. `hidden_root` is the
    same for the hidden files, when they were supplied.
    """

    source: Path
    errors: list[BundleError] = field(default_factory=list)
    challenge: Challenge | None = None
    root: Path | None = None
    hidden_source: Path | None = None
    hidden_root: Path | None = None
    _scratch: list[Path] = field(default_factory=list, repr=False)
    _located: list[Located] = field(default_factory=list, repr=False)
    _hashes: Hashes = field(default_factory=Hashes, repr=False)

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
    hidden_source: Path | None = None
    _where: dict[str, Path] = field(default_factory=dict, repr=False)
    _scratch: list[Path] = field(default_factory=list, repr=False)

    def __enter__(self) -> LoadedBundle:
        return self

    def path_of(self, item: BundleFile | str) -> Path:
        """Where a file is on disk: in the bundle, or among the hidden files supplied apart."""
        rel = item if isinstance(item, str) else item.path
        return self._where.get(rel, self.root / rel)


class BundleInvalid(Exception):
    """Raised by `load_bundle`; carries the report so callers can show every error."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        first = report.errors[0] if report.errors else None
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        super().__init__(f"invalid bundle {report.source}: {first}{more}")


def _is_zip(path: Path) -> bool:
    return path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path))


def _unusable(path: Path, hint: Words, *, hidden: bool) -> BundleError:
    missing = not path.exists()
    return BundleError(
        path.name or str(path),
        None,
        None,
        N_("no such file or folder") if missing else N_("not a folder or a .zip file"),
        hint,
        ErrorCategory.ARCHIVE,
        hidden,
    )


def validate_bundle(
    path: Path,
    limits: BundleLimits = DEFAULT_LIMITS,
    *,
    hidden: Path | None = None,
    images: Collection[str] = DEFAULT_IMAGES,
    pools: Collection[ComputePool] = (),
) -> ValidationReport:
    """Check the bundle at `path` (a folder or a .zip of one); never raises for bad content.

    `hidden` is the folder or zip of hidden files supplied apart from the bundle;
    `images` the runner images this site allows (`Settings.runner_images()`), `pools` the
    compute pools it runs (`Settings.pools`; none: any pool name passes).
    """
    report = ValidationReport(source=path, hidden_source=hidden)
    if path.is_dir():
        report.root = path.resolve()
    elif _is_zip(path):
        scratch = Path(tempfile.mkdtemp(prefix="marea-bundle-"))
        report._scratch.append(scratch)
        report.errors = extract_zip(path, scratch, limits)
        if report.errors:
            report.close()
            return report
        report.root = bundle_root(scratch).resolve()
    else:
        report.errors.append(
            _unusable(
                path,
                N_("give the folder holding challenge.yaml, or a zip of that folder"),
                hidden=False,
            )
        )
        return report
    unpacked: Path | None = None
    if hidden is not None:
        if hidden.is_dir():
            report.hidden_root = hidden.resolve()
        elif _is_zip(hidden):
            unpacked = Path(tempfile.mkdtemp(prefix="marea-hidden-"))
            report._scratch.append(unpacked)
            problems = extract_zip(hidden, unpacked, limits)
            if problems:
                report.errors = [dataclasses.replace(e, in_hidden=True) for e in problems]
                report.close()
                return report
        else:
            report.errors.append(
                _unusable(
                    hidden,
                    N_("give the folder holding the hidden files, or a zip of that folder"),
                    hidden=True,
                )
            )
            report.close()
            return report
    challenge, errors = _check(report, unpacked, limits, images, pools)
    report.errors = errors
    if not errors:
        report.challenge = challenge
    else:
        report.close()
    return report


def load_bundle(
    path: Path,
    limits: BundleLimits = DEFAULT_LIMITS,
    *,
    hidden: Path | None = None,
    images: Collection[str] = DEFAULT_IMAGES,
    pools: Collection[ComputePool] = (),
) -> LoadedBundle:
    """Validate and hash a bundle; raises `BundleInvalid` (with the report) if it is not valid.

    Use as a context manager: for a zip, the unpacked files go away on exit.
    """
    report = validate_bundle(path, limits, hidden=hidden, images=images, pools=pools)
    if not report.ok or report.challenge is None or report.root is None:
        report.close()
        raise BundleInvalid(report)
    files, where = manifest(report.root, report._located, report._hashes)
    return LoadedBundle(
        source=path,
        root=report.root,
        challenge=report.challenge,
        files=files,
        sha256=bundle_digest(files),
        hidden_source=hidden,
        _where=where,
        _scratch=report._scratch,
    )


def bundle_files(root: Path, challenge: Challenge, hidden: Path | None = None) -> list[BundleFile]:
    """Every file of a validated bundle with role, sha256 and size (challenge.yaml first).

    Folders (scoring program, starter kit, code baseline) are listed file by file;
    hidden files such as .git or __pycache__ are left out. A file that plays two
    roles (say public data also mounted as input) is listed once per role.
    """
    root = root.resolve()
    roots = Roots(root, hidden.resolve() if hidden is not None else None)
    located = [locate(roots, ref, (None, None)) for ref in references(challenge)]
    errors = [e for item in located for e in item.errors]
    if errors:
        raise BundleInvalid(ValidationReport(source=root, errors=errors, root=root))
    return manifest(root, located)[0]


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
            N_("the bundle has no challenge.yaml at its top level"),
            N_("put challenge.yaml in the bundle folder (or at the top of the zip)"),
            ErrorCategory.FILE,
        )
    size = config.stat().st_size
    if size > limits.max_yaml_bytes:
        return BundleError(
            CHALLENGE_FILE,
            None,
            None,
            N_(
                "challenge.yaml is {size}, over the {limit} limit",
                size=human_size(size),
                limit=human_size(limits.max_yaml_bytes),
            ),
            N_("move long texts into the Markdown pages"),
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
            N_("challenge.yaml is not valid UTF-8"),
            N_("save it as UTF-8 in your editor"),
            ErrorCategory.SYNTAX,
        )
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlProblem):
        return _yaml_error(parsed)
    return parsed


def _hidden_root(unpacked: Path, challenge: Challenge) -> Path:
    """The hidden files' top: the zip's top level, or its single top folder.

    A single top folder is the wrapper "Compress" adds, unless its name is where
    the hidden paths begin (a zip holding only `reference/`).
    """
    entries = [p for p in unpacked.iterdir() if p.name not in IGNORED_TOP]
    firsts = {ref.path.split("/")[0] for ref in references(challenge) if ref.role in HIDDEN_ROLES}
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name not in firsts:
        return entries[0].resolve()
    return unpacked.resolve()


def _check(
    report: ValidationReport,
    unpacked: Path | None,
    limits: BundleLimits,
    images: Collection[str],
    pools: Collection[ComputePool] = (),
) -> tuple[Challenge | None, list[BundleError]]:
    assert report.root is not None
    root = report.root
    doc = _read_document(root, limits)
    if isinstance(doc, BundleError):
        return None, [doc]
    try:
        challenge = Challenge.model_validate(doc.data)
    except ValidationError as exc:
        return None, schema_errors(exc, doc, CHALLENGE_FILE)
    errors = issue_errors(check_rules(challenge, images, pools), doc, CHALLENGE_FILE)
    if unpacked is not None:  # a zip of hidden files: its top, now that the paths are known
        report.hidden_root = _hidden_root(unpacked, challenge)
    roots = Roots(root, report.hidden_root)
    located: list[Located] = []
    for ref in references(challenge):
        position = doc.locate(ref.loc)
        item = locate(roots, ref, (position.line, position.column) if position else (None, None))
        located.append(item)
        errors.extend(item.errors)
    if roots.hidden is not None:
        errors.extend(_unclaimed(roots.hidden, located))
    usable = [item for item in located if not item.errors]
    errors.extend(check_sizes(root, usable, limits))
    errors.extend(_check_contents(challenge, usable, limits))
    errors.extend(_todo_errors(root / CHALLENGE_FILE, CHALLENGE_FILE))
    errors.extend(check_exposure(doc, roots, usable, report._hashes))
    report._located = located
    return challenge, errors


def _unclaimed(hidden: Path, located: list[Located]) -> list[BundleError]:
    """Every hidden file supplied must be one challenge.yaml names under a hidden key.

    A stray file there is a misspelt path or a public file in the wrong place, and
    it would otherwise be silently ignored.
    """
    files, errors = hidden_files(hidden)
    claimed = {f.rel for item in located for f in item.found if f.hidden}
    # Files under a hidden reference that failed (say, present in both places): already said.
    failed = [
        posixpath.normpath(item.ref.path)
        for item in located
        if item.errors and item.ref.role in HIDDEN_ROLES
    ]
    for found in files:
        if found.rel in claimed or any(
            found.rel == p or found.rel.startswith(p + "/") for p in failed
        ):
            continue
        errors.append(
            BundleError(
                found.rel,
                None,
                None,
                N_(
                    "'{path}' is among the hidden files, but challenge.yaml does not name it "
                    "under {keys}",
                    path=found.rel,
                    keys=HIDDEN_KEYS,
                ),
                N_(
                    "remove it from the hidden files, or name it in challenge.yaml; only "
                    "answers, test inputs and the scoring program may be supplied apart"
                ),
                ErrorCategory.FILE,
                True,
            )
        )
    return errors


def _check_contents(
    challenge: Challenge, usable: list[Located], limits: BundleLimits
) -> list[BundleError]:
    errors: list[BundleError] = []
    phases = [phase.name for phase in challenge.phases]
    for item in usable:
        if item.ref.role is FileRole.PAGE:
            problems = check_page(item.found[0], limits)
            errors.extend(problems or _placeholder_errors(item.found[0], phases))
            if not problems:
                errors.extend(_todo_errors(item.found[0].path, item.found[0].rel))
        if item.ref.role is FileRole.IDENTITY and len(item.found) == 1:
            errors.extend(check_identity_image(item.found[0], str(item.ref.loc[-1])))
    builtin = challenge.scoring.builtin if challenge.scoring is not None else None
    if builtin is None:
        return errors
    answers = [item for item in usable if item.ref.role is FileRole.REFERENCE]
    if len(answers) == 1 and len(challenge.data.reference) == 1:
        errors.extend(check_reference_csv(answers[0].found[0], builtin, limits))
    for item in usable:
        if item.ref.role is FileRole.BASELINE and len(item.found) == 1:
            baseline: FileAt = item.found[0]
            if baseline.rel.lower().endswith(".csv") and baseline.path.is_file():
                needed = {
                    builtin.id_column: "id_column",
                    builtin.prediction_column: "prediction_column",
                }
                errors.extend(check_prediction_header(baseline, needed))
    return errors


def _placeholder_errors(page: FileAt, phases: list[str]) -> list[BundleError]:
    """A page's `{{ phase.NAME.start }}` must name a phase: a typo would show on the site."""
    errors: list[BundleError] = []
    for found in placeholders.find(page.path.read_text(encoding="utf-8")):
        wrong = placeholders.problem(found, phases)
        if wrong is not None:
            message, hint = wrong
            errors.append(
                BundleError(page.rel, found.line, found.column, message, hint, ErrorCategory.FILE)
            )
    return errors


def _todo_errors(path: Path, rel: str) -> list[BundleError]:
    """Each `MAREA-TODO` an import left (an Italian text, the licence) must be filled by hand:
    a bundle holding one would publish a page half-translated or a challenge with no licence."""
    errors: list[BundleError] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return errors
    for number, line in enumerate(text.splitlines(), start=1):
        column = line.find(TODO_MARKER)
        if column < 0:
            continue
        errors.append(
            BundleError(
                rel,
                number,
                column + 1,
                N_(
                    "a placeholder left by the import is still here: {text}",
                    text=line.strip()[:120],
                ),
                N_(
                    "write the text (the Italian translation, the licence, the page) and "
                    "remove the {marker} marker",
                    marker=TODO_MARKER,
                ),
                ErrorCategory.FILE,
            )
        )
    return errors
