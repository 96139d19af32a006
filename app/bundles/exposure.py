"""The answers stay hidden: nothing teams can see may be, or equal, a hidden answers file.

Comparing the paths written in challenge.yaml is not enough: a symbolic link in
the starter kit, a byte-identical copy listed as public data, or a page linking
to `../reference/answers.csv` each give the answers away while every written
path differs. So files are compared as they are on disk, by real path (links
followed, `..` normalised) and by the sha256 of their content.

What teams can see: the pages and the files their links and images point at,
public data, inputs (a code submission reads them and can print them), the
starter kit and the baseline. What is hidden: the reference files. The same
path written in both places is the path rules' case (`rules.py`), reported once
there; an empty file gives nothing away and is not compared.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from app.bundles.errors import N_, BundleError, ErrorCategory, Words
from app.bundles.files import CHALLENGE_FILE, FileAt, FileRole, Hashes, Located, Roots
from app.bundles.source import YamlDocument

SEEN_BY_TEAMS: dict[FileRole, Words] = {
    FileRole.PAGE: N_("page"),
    FileRole.PUBLIC: N_("public data file"),
    FileRole.INPUT: N_("input file (code submissions read it)"),
    FileRole.STARTER: N_("starter kit file"),
    FileRole.BASELINE: N_("baseline file"),
    FileRole.IDENTITY: N_("identity image"),
}


@dataclass(frozen=True)
class _Secret:
    rel: str
    real: str
    size: int
    path: Path


def _secrets(located: list[Located]) -> list[_Secret]:
    return [
        _Secret(found.rel, os.path.realpath(found.path), found.path.stat().st_size, found.path)
        for item in located
        if item.ref.role is FileRole.REFERENCE
        for found in item.found
    ]


class _Matcher:
    """Which hidden file, if any, a file on disk is (same real path) or copies (same bytes)."""

    def __init__(self, secrets: list[_Secret], hashes: Hashes) -> None:
        self.secrets = secrets
        self.hashes = hashes
        self.sizes = {s.size for s in secrets if s.size > 0}

    def same_file(self, path: Path) -> _Secret | None:
        real = os.path.realpath(path)
        return next((s for s in self.secrets if s.real == real), None)

    def holds(self, folder: Path) -> _Secret | None:
        real = os.path.realpath(folder) + os.sep
        return next((s for s in self.secrets if s.real.startswith(real)), None)

    def same_bytes(self, path: Path) -> _Secret | None:
        size = path.stat().st_size
        if size not in self.sizes:  # only files of a hidden file's size are read
            return None
        digest = self.hashes.of(path)
        return next(
            (s for s in self.secrets if s.size == size and self.hashes.of(s.path) == digest),
            None,
        )


def check_exposure(
    doc: YamlDocument, roots: Roots, located: list[Located], hashes: Hashes
) -> list[BundleError]:
    """One located error per file teams could see that is, or repeats, a hidden answers file."""
    usable = [item for item in located if not item.errors]
    secrets = _secrets(usable)
    if not secrets:
        return []
    match = _Matcher(secrets, hashes)
    errors: list[BundleError] = []
    for item in usable:
        what = SEEN_BY_TEAMS.get(item.ref.role)
        if what is None:
            continue
        position = doc.locate(item.ref.loc)
        line, column = (position.line, position.column) if position else (None, None)
        for found in item.found:
            problem = _exposed(found, match)
            if problem is not None:
                message, hint = problem
                errors.append(
                    BundleError(
                        CHALLENGE_FILE,
                        line,
                        column,
                        N_("{what} '{path}' {problem}", what=what, path=found.rel, problem=message),
                        hint,
                        ErrorCategory.FILE,
                    )
                )
        if item.ref.role is FileRole.PAGE:
            for found in item.found:
                errors.extend(_page_links(found, roots.bundle, match))
    return errors


def _exposed(found: FileAt, match: _Matcher) -> tuple[Words, Words] | None:
    secret = match.same_file(found.path)
    if secret is not None and posixpath.normpath(found.rel) == secret.rel:
        return None  # the very path written twice: reported by the path rules
    if secret is not None:
        return (
            N_(
                "resolves to the reference (hidden answers) file '{path}' (through a symbolic "
                "link)",
                path=secret.rel,
            ),
            N_(
                "replace the link with a file that holds no answers; keep the answers only "
                "under data.reference"
            ),
        )
    secret = match.same_bytes(found.path)
    if secret is not None:
        return (
            N_(
                "has the same content as the reference (hidden answers) file '{path}'",
                path=secret.rel,
            ),
            N_(
                "give teams a file without the answers (e.g. without the target column); keep "
                "the answers only under data.reference"
            ),
        )
    return None


# The renderer app.text.markdown uses for pages: what it turns into links is what is checked.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def page_targets(text: str) -> Iterator[tuple[str, int, int | None]]:
    """Every link and image target of a Markdown page, with its 1-based line and column."""
    lines = text.splitlines()
    for token in _MARKDOWN.parse(text):
        if token.type != "inline" or not token.children:
            continue
        start, end = token.map or (0, len(lines))
        for child in token.children:
            attr = "href" if child.type == "link_open" else "src" if child.type == "image" else ""
            url = str(child.attrGet(attr) or "") if attr else ""
            if url:
                line, column = _position(lines, url, start, end)
                yield url, line, column


def _position(lines: list[str], url: str, start: int, end: int) -> tuple[int, int | None]:
    """Where `url` is written: in its block first, else anywhere (reference-style links)."""
    for needle in dict.fromkeys((url, unquote(url))):
        for number in [*range(start, min(end, len(lines))), *range(len(lines))]:
            at = lines[number].find(needle)
            if at >= 0:
                return number + 1, at + 1
    return start + 1, None


def link_target(page_rel: str, url: str) -> str | None:
    """The bundle path a relative link of the page points at, or None (web link, outside)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path:
        return None  # `#section`
    joined = (
        path.lstrip("/")
        if path.startswith("/")
        else posixpath.join(posixpath.dirname(page_rel), path)
    )
    target = posixpath.normpath(joined or ".")
    if target == ".." or target.startswith("../"):
        return None
    return target


def _page_links(page: FileAt, bundle: Path, match: _Matcher) -> Iterator[BundleError]:
    try:
        text = page.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # check_page reports it
    for url, line, column in page_targets(text):
        target = link_target(page.rel, url)
        if target is None:
            continue
        problem = _link_problem(target, bundle, match)
        if problem is not None:
            yield BundleError(
                page.rel,
                line,
                column,
                N_("the page links to '{url}', which {problem}", url=url, problem=problem),
                N_("remove the link: the answers are never published; link to public data instead"),
                ErrorCategory.FILE,
            )


def _link_problem(target: str, bundle: Path, match: _Matcher) -> Words | None:
    named = next(
        (s for s in match.secrets if target in (".", s.rel) or s.rel.startswith(target + "/")),
        None,
    )
    if named is not None:
        return N_("is or holds the reference (hidden answers) file '{path}'", path=named.rel)
    on_disk = bundle / target
    real = Path(os.path.realpath(on_disk))
    if not on_disk.exists() or (real != bundle and bundle not in real.parents):
        return None  # nothing there, or outside the bundle: not served from it
    if on_disk.is_dir():
        holder = match.holds(on_disk)
        if holder is not None:
            return N_(
                "is a folder holding the reference (hidden answers) file '{path}'",
                path=holder.rel,
            )
        return None
    same = match.same_file(on_disk)
    if same is not None:
        return N_("resolves to the reference (hidden answers) file '{path}'", path=same.rel)
    copy = match.same_bytes(on_disk) if on_disk.is_file() else None
    if copy is not None:
        return N_(
            "has the same content as the reference (hidden answers) file '{path}'", path=copy.rel
        )
    return None
