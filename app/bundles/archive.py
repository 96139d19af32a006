"""Unpacking a zipped bundle without trusting its member names or sizes.

Every member is checked before anything is written (no absolute paths, no '..',
no symlinks, no encryption, declared sizes under the caps), then each member is
streamed with a byte counter, because the sizes in a zip header can lie.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from app.bundles.errors import N_, BundleError, ErrorCategory, Words
from app.bundles.limits import BundleLimits, human_size

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024 * 1024
IGNORED_TOP = {"__MACOSX"}  # resource forks added by macOS' "Compress"


def _error(archive: Path, message: Words, hint: Words) -> BundleError:
    return BundleError(archive.name, None, None, message, hint, ErrorCategory.ARCHIVE)


def _member_problem(info: zipfile.ZipInfo) -> Words | None:
    name = info.filename
    if "\x00" in name:
        return N_("member {name} has a NUL character in its name", name=repr(name))
    if "\\" in name:
        return N_("member '{name}' uses backslashes in its path", name=name)
    if name.startswith("/") or _DRIVE.match(name):
        return N_("member '{name}' has an absolute path", name=name)
    if ".." in PurePosixPath(name).parts:
        return N_("member '{name}' uses '..' and would be written outside the bundle", name=name)
    if stat.S_ISLNK(info.external_attr >> 16):
        return N_("member '{name}' is a symbolic link", name=name)
    if info.flag_bits & 0x1:
        return N_("member '{name}' is encrypted", name=name)
    return None


def extract_zip(archive: Path, dest: Path, limits: BundleLimits) -> list[BundleError]:
    """Unpack `archive` into the empty folder `dest`, or return why it is refused."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            errors = _check_members(archive, infos, limits)
            if not errors:
                errors = _write_members(archive, zf, infos, dest, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        return [
            _error(
                archive,
                N_("cannot read the zip file: {error}", error=str(exc)),
                N_("re-create the zip (e.g. `cd bundle && zip -r ../bundle.zip .`)"),
            )
        ]
    return errors


def _check_members(
    archive: Path, infos: list[zipfile.ZipInfo], limits: BundleLimits
) -> list[BundleError]:
    errors: list[BundleError] = []
    if len(infos) > limits.max_files:
        errors.append(
            _error(
                archive,
                N_(
                    "the zip has {count} members, over the limit of {limit}",
                    count=len(infos),
                    limit=limits.max_files,
                ),
                N_("leave out files the challenge does not use"),
            )
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        problem = _member_problem(info)
        if problem:
            errors.append(
                _error(
                    archive,
                    problem,
                    N_(
                        "zip the bundle folder with relative paths and regular files only "
                        "(e.g. `cd bundle && zip -r ../bundle.zip .`)"
                    ),
                )
            )
            continue
        name = info.filename.rstrip("/")
        if name in seen:
            errors.append(
                _error(archive, N_("member '{name}' appears twice", name=name), N_("zip it once"))
            )
        seen.add(name)
        total += info.file_size
        if info.file_size > limits.max_file_bytes:
            errors.append(
                _error(
                    archive,
                    N_(
                        "member '{name}' is {size}, over the {limit} limit per file",
                        name=name,
                        size=human_size(info.file_size),
                        limit=human_size(limits.max_file_bytes),
                    ),
                    N_("shrink or split the file, or host very large data elsewhere"),
                )
            )
    if total > limits.max_total_bytes:
        errors.append(
            _error(
                archive,
                N_(
                    "the zip unpacks to {size}, over the {limit} limit",
                    size=human_size(total),
                    limit=human_size(limits.max_total_bytes),
                ),
                N_("leave out files the challenge does not use"),
            )
        )
    return errors


def _write_members(
    archive: Path,
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    dest: Path,
    limits: BundleLimits,
) -> list[BundleError]:
    base = dest.resolve()
    written = 0
    for info in infos:
        target = (base / info.filename).resolve()
        if target != base and base not in target.parents:  # defence in depth
            return [
                _error(
                    archive,
                    N_("member '{name}' escapes the bundle", name=info.filename),
                    N_("zip the bundle folder with relative paths and regular files only"),
                )
            ]
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with zf.open(info) as src, target.open("wb") as out:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                written += len(chunk)
                if size > max(info.file_size, 0) or size > limits.max_file_bytes:
                    return [
                        _error(
                            archive,
                            N_(
                                "member '{name}' unpacks to more than its declared size",
                                name=info.filename,
                            ),
                            N_("re-create the zip with a standard tool"),
                        )
                    ]
                if written > limits.max_total_bytes:
                    return [
                        _error(
                            archive,
                            N_(
                                "the zip unpacks to more than {limit}",
                                limit=human_size(limits.max_total_bytes),
                            ),
                            N_("leave out files the challenge does not use"),
                        )
                    ]
                out.write(chunk)
        target.chmod(0o644)
    return []


def bundle_root(extracted: Path, top_file: str = "challenge.yaml") -> Path:
    """The folder holding `top_file` (challenge.yaml, or an event's event.yaml): the zip's top
    level, or its single top folder."""
    if (extracted / top_file).exists():
        return extracted
    entries = [p for p in extracted.iterdir() if p.name not in IGNORED_TOP]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return extracted


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
