"""The files a challenge.yaml names: where they are, whether they are safe, what they hold.

A bundle is organiser-supplied content that the platform later serves to
participants and copies into scoring containers, so every path must resolve to
a regular file inside the bundle folder; a symlink to /etc/passwd must not ride
along. The same walk produces the manifest the database loader stores.

Hidden files (answers, test inputs, the scoring program) may also come from a
second folder supplied apart from the bundle (`--hidden`), laid out with the
same relative paths, so that a bundle kept in a public repository need not
contain them. Only hidden roles are looked up there.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from app.bundles.errors import N_, BundleError, ErrorCategory, Words
from app.bundles.limits import BundleLimits, human_size
from app.bundles.schema import BuiltinScoring, Challenge, Localised, PhaseKind
from app.bundles.source import Loc
from sandbox import sha256_chunks, sha256_file

CHALLENGE_FILE = "challenge.yaml"
SPLIT_VALUES = ("public", "private")
_SKIPPED_NAMES = {"__pycache__", ".DS_Store", ".git"}


class FileRole(StrEnum):
    """Who may see a file: this decides what the site serves and what scoring mounts."""

    CONFIG = "challenge.yaml"
    PAGE = "page"
    PUBLIC = "public"  # participants download it
    REFERENCE = "reference"  # hidden answers: only the scoring container sees them
    INPUT = "input"  # mounted read-only into code submissions
    SCORING = "scoring"  # the organiser's scoring program
    STARTER = "starter"  # zipped for participants
    BASELINE = "baseline"  # a submission that must score
    IDENTITY = "identity"  # the logo and hero picture shown on the challenge's pages


class Expect(StrEnum):
    FILE = "file"
    FOLDER = "folder"
    EITHER = "file or folder"


@dataclass(frozen=True)
class Reference:
    """A path written in challenge.yaml, with where it is written and what it is for."""

    loc: Loc
    path: str
    role: FileRole
    expect: Expect
    description: Localised | None = None


@dataclass(frozen=True)
class BundleFile:
    """One regular file of a bundle, as the database loader stores it."""

    path: str  # relative to the bundle root, '/' separated
    role: FileRole
    sha256: str
    size: int
    description: Localised | None = None


# Never shown to teams by the platform: these may be supplied apart from the bundle.
HIDDEN_ROLES = frozenset({FileRole.REFERENCE, FileRole.INPUT, FileRole.SCORING})
HIDDEN_KEYS = N_("data.reference, data.inputs or scoring.program")
COPY_INTO_BUNDLE = N_("copy the file into the bundle instead of linking to it")
COPY_INTO_HIDDEN = N_("copy the file into the hidden files instead of linking to it")

# What errors call a file of each role ("public file 'data/x.csv' does not exist ...").
FILE_OF_ROLE: dict[FileRole, Words] = {
    FileRole.CONFIG: N_("challenge.yaml file"),
    FileRole.PAGE: N_("page file"),
    FileRole.PUBLIC: N_("public file"),
    FileRole.REFERENCE: N_("reference file"),
    FileRole.INPUT: N_("input file"),
    FileRole.SCORING: N_("scoring file"),
    FileRole.STARTER: N_("starter file"),
    FileRole.BASELINE: N_("baseline file"),
    FileRole.IDENTITY: N_("identity file"),
}
HIDDEN_FILE_OF_ROLE: dict[FileRole, Words] = {
    FileRole.REFERENCE: N_("hidden reference file"),
    FileRole.INPUT: N_("hidden input file"),
    FileRole.SCORING: N_("hidden scoring file"),
}


@dataclass(frozen=True)
class Roots:
    """Where files are looked up: the bundle, and the hidden files supplied apart (if any)."""

    bundle: Path  # resolved
    hidden: Path | None = None  # resolved


@dataclass(frozen=True)
class FileAt:
    """One regular file a reference stands for: its bundle path and where it is on disk."""

    rel: str  # relative to the root it was found in (the same path in the bundle)
    path: Path  # absolute, under that root
    hidden: bool = False  # found among the hidden files supplied apart


@dataclass(frozen=True)
class Located:
    """A reference resolved to real files, or the reason it cannot be."""

    ref: Reference
    found: tuple[FileAt, ...]  # the regular files it stands for
    errors: tuple[BundleError, ...]

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(f.rel for f in self.found)


def references(challenge: Challenge) -> list[Reference]:
    refs: list[Reference] = []
    for page_name, paths in challenge.pages:
        for lang in ("it", "en"):
            refs.append(
                Reference(
                    ("pages", page_name, lang), getattr(paths, lang), FileRole.PAGE, Expect.FILE
                )
            )
    roles = (
        ("public", FileRole.PUBLIC),
        ("reference", FileRole.REFERENCE),
        ("inputs", FileRole.INPUT),
    )
    for key, role in roles:
        for i, item in enumerate(getattr(challenge.data, key)):
            refs.append(
                Reference(("data", key, i, "path"), item.path, role, Expect.FILE, item.description)
            )
    if challenge.scoring is not None and challenge.scoring.program is not None:
        refs.append(
            Reference(
                ("scoring", "program", "path"),
                challenge.scoring.program.path,
                FileRole.SCORING,
                Expect.FOLDER,
            )
        )
    if challenge.starter_kit is not None:
        refs.append(
            Reference(("starter_kit",), challenge.starter_kit, FileRole.STARTER, Expect.EITHER)
        )
    if challenge.baseline is not None:
        kinds = challenge.phase_kinds()
        expect = (
            Expect.EITHER
            if len(kinds) != 1
            else (Expect.FOLDER if PhaseKind.CODE in kinds else Expect.FILE)
        )
        refs.append(Reference(("baseline",), challenge.baseline, FileRole.BASELINE, expect))
    if challenge.identity is not None:
        for key in IDENTITY_IMAGES:
            path = getattr(challenge.identity, key)
            if path is not None:
                refs.append(Reference(("identity", key), path, FileRole.IDENTITY, Expect.FILE))
    return refs


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class _Missing:
    """Nothing at the written path under one root (not an error by itself)."""


_MISSING = _Missing()


def locate(roots: Roots | Path, ref: Reference, position: tuple[int | None, int | None]) -> Located:
    """Resolve `ref` in the bundle, and for hidden roles in the hidden files too.

    A file may be in one of the two places, never both (which copy would count?);
    a named folder may be spread over both, file by file.
    """
    if isinstance(roots, Path):
        roots = Roots(roots)
    line, column = position

    def fail(message: Words, hint: Words) -> Located:
        error = BundleError(CHALLENGE_FILE, line, column, message, hint, ErrorCategory.FILE)
        return Located(ref, (), (error,))

    hidden = roots.hidden if ref.role in HIDDEN_ROLES else None
    in_bundle = _locate_in(roots.bundle, ref, fail, hidden=False)
    in_hidden = _locate_in(hidden, ref, fail, hidden=True) if hidden is not None else _MISSING
    if isinstance(in_bundle, _Missing) and isinstance(in_hidden, _Missing):
        if ref.role not in HIDDEN_ROLES:
            return fail(
                N_(
                    "{file} '{path}' does not exist in the bundle",
                    file=FILE_OF_ROLE[ref.role],
                    path=ref.path,
                ),
                N_(
                    "check the spelling and the folder; paths are relative to the folder holding "
                    "challenge.yaml and are case-sensitive"
                ),
            )
        if roots.hidden is None:
            return fail(
                N_(
                    "{file} '{path}' is not in the bundle, and no hidden files were supplied "
                    "apart from it",
                    file=HIDDEN_FILE_OF_ROLE[ref.role],
                    path=ref.path,
                ),
                N_(
                    "check the spelling (paths are relative to challenge.yaml), or supply the "
                    "hidden files apart: `--hidden PATH`, a folder or zip holding '{path}' at "
                    "that same relative path (on the upload page: the zip of hidden files)",
                    path=ref.path,
                ),
            )
        return fail(
            N_(
                "{file} '{path}' is neither in the bundle nor in the hidden files",
                file=HIDDEN_FILE_OF_ROLE[ref.role],
                path=ref.path,
            ),
            N_(
                "put '{path}' in the hidden files at that same relative path, or check the "
                "spelling",
                path=ref.path,
            ),
        )
    if isinstance(in_hidden, _Missing):
        assert not isinstance(in_bundle, _Missing)
        return in_bundle
    if isinstance(in_bundle, _Missing):
        return in_hidden
    if in_bundle.errors or in_hidden.errors:
        return Located(ref, (), in_bundle.errors + in_hidden.errors)
    if ref.expect is not Expect.FOLDER:  # hidden roles: data files, or the scoring folder
        return fail(
            N_("'{path}' is both in the bundle and in the hidden files", path=ref.path),
            N_("keep one copy: hidden files belong only in the hidden files"),
        )
    both = sorted({f.rel for f in in_bundle.found} & {f.rel for f in in_hidden.found})
    if both:
        return fail(
            N_("'{path}' is both in the bundle and in the hidden files", path=both[0]),
            N_("keep one copy: hidden files belong only in the hidden files"),
        )
    return Located(ref, in_bundle.found + in_hidden.found, ())


def _locate_in(
    root: Path, ref: Reference, fail: Callable[[Words, Words], Located], *, hidden: bool
) -> Located | _Missing:
    """`ref` under one root (already resolved), refusing anything that leaves it."""
    written = ref.path.rstrip("/") or "."
    target = root / written
    # Walk component by component so a symlinked folder on the way is caught too.
    step = root
    for part in Path(written).parts:
        step = step / part
        if step.is_symlink() and not _inside(step.resolve(), root):
            link = str(step.relative_to(root))
            if hidden:
                return fail(
                    N_(
                        "'{path}' goes through the symbolic link '{link}', which points outside "
                        "the hidden files",
                        path=ref.path,
                        link=link,
                    ),
                    COPY_INTO_HIDDEN,
                )
            return fail(
                N_(
                    "'{path}' goes through the symbolic link '{link}', which points outside "
                    "the bundle",
                    path=ref.path,
                    link=link,
                ),
                COPY_INTO_BUNDLE,
            )
    resolved = target.resolve()
    if not _inside(resolved, root):
        outside = (
            N_("'{path}' resolves outside the hidden files", path=ref.path)
            if hidden
            else N_("'{path}' resolves outside the bundle", path=ref.path)
        )
        return fail(outside, N_("keep every file inside it"))
    if not resolved.exists():
        return _MISSING
    if resolved.is_dir():
        if ref.expect is Expect.FILE:
            return fail(N_("'{path}' is a folder, not a file", path=ref.path), N_("name a file"))
        found, errors = _walk(root, target, hidden)
        if not found and not errors:
            if hidden:  # an empty folder among the hidden files adds nothing
                return _MISSING
            return fail(
                N_("folder '{path}' is empty", path=ref.path), N_("put the files it needs in it")
            )
        return Located(ref, tuple(found), tuple(errors))
    if ref.expect is Expect.FOLDER:
        return fail(
            N_("'{path}' is a file, but a folder is expected here", path=ref.path),
            N_("name the folder that holds the program (e.g. scoring/)"),
        )
    if not resolved.is_file():
        return fail(N_("'{path}' is not a regular file", path=ref.path), N_("name a regular file"))
    rel = PurePosixPath(written).as_posix()
    return Located(ref, (FileAt(rel, root / written, hidden),), ())


def _walk(root: Path, folder: Path, hidden: bool = False) -> tuple[list[FileAt], list[BundleError]]:
    files: list[FileAt] = []
    errors: list[BundleError] = []
    for current, dirs, names in os.walk(folder, followlinks=False):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_NAMES)
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                rel = (here / d).relative_to(root).as_posix()
                errors.append(
                    BundleError(
                        rel,
                        None,
                        None,
                        N_("'{path}' is a symbolic link to a folder", path=rel),
                        N_("replace the link with a real folder"),
                        ErrorCategory.FILE,
                        hidden,
                    )
                )
        for name in sorted(names):
            if name in _SKIPPED_NAMES:
                continue
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink() and not _inside(path.resolve(), root):
                errors.append(
                    BundleError(
                        rel,
                        None,
                        None,
                        N_(
                            "'{path}' is a symbolic link pointing outside the hidden files",
                            path=rel,
                        )
                        if hidden
                        else N_(
                            "'{path}' is a symbolic link pointing outside the bundle", path=rel
                        ),
                        COPY_INTO_HIDDEN if hidden else COPY_INTO_BUNDLE,
                        ErrorCategory.FILE,
                        hidden,
                    )
                )
            elif path.resolve().is_file():
                files.append(FileAt(rel, path, hidden))
    return files, errors


def hidden_files(root: Path) -> tuple[list[FileAt], list[BundleError]]:
    """Every regular file among the hidden files supplied apart (each must be claimed)."""
    return _walk(root, root, hidden=True)


def check_sizes(root: Path, located: list[Located], limits: BundleLimits) -> list[BundleError]:
    errors: list[BundleError] = []
    config = FileAt(CHALLENGE_FILE, root / CHALLENGE_FILE)
    by_rel = {f.rel: f for loc in located for f in loc.found} | {CHALLENGE_FILE: config}
    unique = sorted(by_rel)
    total = 0
    for rel in unique:
        size = by_rel[rel].path.stat().st_size
        total += size
        if size > limits.max_file_bytes:
            errors.append(
                BundleError(
                    rel,
                    None,
                    None,
                    N_(
                        "'{path}' is {size}, over the {limit} limit per file",
                        path=rel,
                        size=human_size(size),
                        limit=human_size(limits.max_file_bytes),
                    ),
                    N_(
                        "shrink or split the file, or host very large data elsewhere and link it "
                        "from the data page"
                    ),
                    ErrorCategory.FILE,
                    by_rel[rel].hidden,
                )
            )
    if len(unique) > limits.max_files:
        errors.append(
            BundleError(
                CHALLENGE_FILE,
                None,
                None,
                N_(
                    "the bundle names {count} files, over the limit of {limit}",
                    count=len(unique),
                    limit=limits.max_files,
                ),
                N_("pack many small files into an archive participants unpack themselves"),
                ErrorCategory.FILE,
            )
        )
    if total > limits.max_total_bytes:
        errors.append(
            BundleError(
                CHALLENGE_FILE,
                None,
                None,
                N_(
                    "the files the bundle names add up to {size}, over the {limit} limit",
                    size=human_size(total),
                    limit=human_size(limits.max_total_bytes),
                ),
                N_("leave out files the challenge does not use"),
                ErrorCategory.FILE,
            )
        )
    return errors


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1


def check_page(page: FileAt, limits: BundleLimits) -> list[BundleError]:
    def error(
        message: Words, hint: Words, line: int | None = None, col: int | None = None
    ) -> BundleError:
        return BundleError(page.rel, line, col, message, hint, ErrorCategory.FILE)

    path = page.path
    size = path.stat().st_size
    if size > limits.max_page_bytes:
        return [
            error(
                N_(
                    "page is {size}, over the {limit} limit",
                    size=human_size(size),
                    limit=human_size(limits.max_page_bytes),
                ),
                N_("split it, or move tables of data into a data file"),
            )
        ]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        return [
            error(
                N_(
                    "page is not valid UTF-8 (byte 0x{byte} at offset {offset})",
                    byte=f"{data[exc.start]:02x}",
                    offset=exc.start,
                ),
                N_("save the file as UTF-8 in your editor (e.g. 'Save with encoding: UTF-8')"),
                line,
                col,
            )
        ]
    if not text.strip():
        return [error(N_("page is empty"), N_("write the page, in Markdown"))]
    return []


# The images an identity names, and the most bytes each may have: a page loads them on every
# visit, often on a phone.
IDENTITY_IMAGES: dict[str, int] = {"logo": 256 * 1024, "hero": 1024 * 1024}
# Raster formats only, recognised by their first bytes: an SVG (which can carry scripts) or a
# file misnamed .png is refused, so what the site serves is what its content type says.
IMAGE_TYPES: tuple[tuple[bytes, int, bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, b"", "image/png"),
    (b"\xff\xd8\xff", 0, b"", "image/jpeg"),
    (b"RIFF", 8, b"WEBP", "image/webp"),
)


def image_type(head: bytes) -> str | None:
    """The content type of a PNG, JPEG or WebP file from its first 12 bytes, else None."""
    for magic, offset, more, kind in IMAGE_TYPES:
        if head.startswith(magic) and head[offset : offset + len(more)] == more:
            return kind
    return None


def check_identity_image(image: FileAt, key: str) -> list[BundleError]:
    """The logo or hero is a PNG, JPEG or WebP (by its bytes, not its name) of a modest size."""
    cap = IDENTITY_IMAGES[key]
    size = image.path.stat().st_size
    with image.path.open("rb") as fh:
        head = fh.read(12)
    errors: list[BundleError] = []
    if image_type(head) is None:
        errors.append(
            BundleError(
                image.rel,
                None,
                None,
                N_(
                    "identity.{key} '{path}' is not a PNG, JPEG or WebP image",
                    key=key,
                    path=image.rel,
                ),
                N_("export it as PNG, JPEG or WebP; other formats (SVG included) are not served"),
                ErrorCategory.FILE,
            )
        )
    if size > cap:
        errors.append(
            BundleError(
                image.rel,
                None,
                None,
                N_(
                    "identity.{key} '{path}' is {size}, over the {limit} limit",
                    key=key,
                    path=image.rel,
                    size=human_size(size),
                    limit=human_size(cap),
                ),
                N_("make it smaller (fewer pixels, or JPEG/WebP compression)"),
                ErrorCategory.FILE,
            )
        )
    return errors


def _csv_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from handle


def check_reference_csv(
    answers: FileAt, builtin: BuiltinScoring, limits: BundleLimits
) -> list[BundleError]:
    """Header has the columns built-in scoring reads; splits are public/private; ids unique."""
    named_by = {
        builtin.id_column: "id_column",
        builtin.target_column: "target_column",
        builtin.split_column: "split_column",
    }

    def error(message: Words, hint: Words, line: int | None = 1) -> BundleError:
        return BundleError(
            answers.rel, line, None, message, hint, ErrorCategory.FILE, answers.hidden
        )

    try:
        reader = csv.reader(_csv_lines(answers.path))
        header = [name.strip() for name in next(reader, [])]
        if not header:
            return [
                error(
                    N_("the reference file is empty"), N_("write a header line, then the answers")
                )
            ]
        missing = [name for name in named_by if name not in header]
        if missing:
            return [
                error(
                    N_(
                        "the header has no column '{name}' (named by scoring.builtin.{key}); "
                        "it has: {columns}",
                        name=name,
                        key=named_by[name],
                        columns=", ".join(header),
                    ),
                    N_(
                        "add a '{name}' column to the reference file, or change "
                        "scoring.builtin.{key}",
                        name=name,
                        key=named_by[name],
                    ),
                )
                for name in missing
            ]
        split_at = header.index(builtin.split_column)
        id_at = header.index(builtin.id_column)
        counts = dict.fromkeys(SPLIT_VALUES, 0)
        first_line: dict[str, int] = {}
        for row_number, row in enumerate(reader, start=1):
            if row_number > limits.max_reference_rows:
                break
            if not row:
                continue
            split = row[split_at].strip() if split_at < len(row) else ""
            if split not in counts:
                return [
                    error(
                        N_(
                            "{column} is '{split}' on this row; only 'public' or 'private' are "
                            "allowed",
                            column=builtin.split_column,
                            split=split,
                        ),
                        N_(
                            "mark each row 'public' (scored on the live board) or 'private' "
                            "(scored on the final board)"
                        ),
                        reader.line_num,
                    )
                ]
            counts[split] += 1
            ident = row[id_at].strip() if id_at < len(row) else ""
            if ident in first_line:
                return [
                    error(
                        N_(
                            "id '{id}' appears twice (first on line {line})",
                            id=ident,
                            line=first_line[ident],
                        ),
                        N_(
                            "make every value of the '{column}' column unique",
                            column=builtin.id_column,
                        ),
                        reader.line_num,
                    )
                ]
            first_line[ident] = reader.line_num
    except UnicodeDecodeError:
        return [error(N_("the reference file is not valid UTF-8"), N_("save it as UTF-8"), None)]
    except csv.Error as exc:
        return [
            error(
                N_("the reference file is not readable CSV: {error}", error=str(exc)),
                N_("fix the CSV"),
                None,
            )
        ]
    absent = [name for name, count in counts.items() if count == 0]
    if absent:
        return [
            error(
                N_("no row has {column} '{split}'", column=builtin.split_column, split=absent[0]),
                N_(
                    "split the answers into 'public' rows (live board) and 'private' rows "
                    "(final board); both are needed"
                ),
                None,
            )
        ]
    return []


def check_prediction_header(baseline: FileAt, needed: dict[str, str]) -> list[BundleError]:
    """A baseline predictions file must carry the columns scoring will look for."""
    rel = baseline.rel
    try:
        first = next(iter(_csv_lines(baseline.path)), "")
        header = [name.strip() for name in next(csv.reader(io.StringIO(first)), [])]
    except (UnicodeDecodeError, csv.Error):
        return [
            BundleError(
                rel,
                1,
                None,
                N_("the baseline is not a readable UTF-8 CSV"),
                N_("save it as UTF-8 CSV"),
                ErrorCategory.FILE,
            )
        ]
    return [
        BundleError(
            rel,
            1,
            None,
            N_(
                "the baseline header has no column '{name}' (scoring.builtin.{key})",
                name=name,
                key=key,
            ),
            N_(
                "write the baseline with the columns participants must submit: {columns}",
                columns=", ".join(needed),
            ),
            ErrorCategory.FILE,
        )
        for name, key in needed.items()
        if name not in header
    ]


class Hashes:
    """sha256 of files by real path, so a file named twice (or checked, then stored) is read once."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, path: Path) -> str:
        key = os.path.realpath(path)
        if key not in self._known:
            self._known[key] = sha256_file(path)
        return self._known[key]


def manifest(
    root: Path, located: list[Located], hashes: Hashes | None = None
) -> tuple[list[BundleFile], dict[str, Path]]:
    """Every file with its role, hash and size (a file used in two roles appears twice),
    and where each bundle path is on disk (in the bundle or among the hidden files)."""
    hashes = hashes or Hashes()
    out: list[BundleFile] = []
    config = root / CHALLENGE_FILE
    out.append(
        BundleFile(CHALLENGE_FILE, FileRole.CONFIG, hashes.of(config), config.stat().st_size)
    )
    where: dict[str, Path] = {CHALLENGE_FILE: config}
    seen: set[tuple[FileRole, str]] = set()
    for item in located:
        for found in item.found:
            if (item.ref.role, found.rel) in seen:
                continue
            seen.add((item.ref.role, found.rel))
            where[found.rel] = found.path
            digest, size = hashes.of(found.path), found.path.stat().st_size
            out.append(BundleFile(found.rel, item.ref.role, digest, size, item.ref.description))
    return out, where


def bundle_digest(files: list[BundleFile]) -> str:
    """One hash for the whole bundle: changes when any file, path or role changes.

    Where a file came from (the bundle or the hidden files) does not enter it: the same
    files loaded either way are the same challenge.
    """
    return sha256_chunks(
        f"{item.role.value}\0{item.path}\0{item.sha256}\n".encode()
        for item in sorted(files, key=lambda f: (f.role.value, f.path))
    )
