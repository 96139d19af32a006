"""Unpack a code submission (zip or tar.gz) without trusting it.

The archive comes from a participant, so it is hostile input, unpacked on the
worker host before any sandbox exists. Only regular files and folders are
taken; links, devices and anything odd refuse the whole archive (rather than
being skipped) so the team learns why their program will not find a file.
Names must stay inside the destination (no absolute paths, drive letters or
`..`), and real decompressed bytes, file count and depth are capped while
reading, so a bomb stops at the cap instead of filling the disk.

Two kindnesses: `__MACOSX/` metadata folders are dropped, and an archive
holding a single top-level folder is unpacked as that folder's contents,
because that is what zipping a folder produces on every desktop.
"""

from __future__ import annotations

import gzip
import io
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from judging.messages import Message
from judging.spec import UnpackLimits

_CHUNK = 1 << 16
# A tar entry costs a 512-byte header plus padding; pax headers a little more.
_TAR_OVERHEAD_PER_FILE = 2048
_IGNORED_TOP = "__MACOSX"


class UnpackError(Exception):
    """The archive cannot be used; `said` is for the participant, in their language on the site."""

    def __init__(self, key: str, **params: str | int) -> None:
        self.said = Message(key, params)
        super().__init__(self.said.english())
        self.message = self.said.english()


@dataclass
class Unpacked:
    """Files written (relative, POSIX), and the single top folder that was flattened, if any."""

    files: list[str] = field(default_factory=list)
    flattened: str | None = None


@dataclass
class _Budget:
    limits: UnpackLimits
    bytes_left: int = 0
    files: int = 0

    def __post_init__(self) -> None:
        self.bytes_left = self.limits.max_bytes

    def take_file(self) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise UnpackError("unpack.too_many_files", limit=self.limits.max_files)

    def take_bytes(self, n: int) -> None:
        self.bytes_left -= n
        if self.bytes_left < 0:
            raise UnpackError("unpack.too_large", limit=self.limits.max_bytes // (1024 * 1024))


def safe_name(name: str, max_depth: int) -> PurePosixPath | None:
    """The entry's path relative to the destination; None for entries to ignore (".", macOS)."""
    if "\0" in name:
        raise UnpackError("unpack.nul", name=repr(name))
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise UnpackError("unpack.absolute", name=repr(name))
    parts = [p for p in cleaned.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnpackError("unpack.outside", name=repr(name))
    if not parts or parts[0] == _IGNORED_TOP:
        return None
    if len(parts) > max_depth:
        raise UnpackError("unpack.too_deep", name=repr(name), limit=max_depth)
    return PurePosixPath(*parts)


def _write(source: IO[bytes], target: Path, executable: bool, budget: _Budget) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        out = open(target, "xb")  # noqa: SIM115 - closed below; "x" never overwrites
    except FileExistsError as exc:
        raise UnpackError("unpack.twice", name=repr(target.name)) from exc
    with out:
        while block := source.read(_CHUNK):
            budget.take_bytes(len(block))
            out.write(block)
    target.chmod(0o755 if executable else 0o644)


def _from_zip(archive: Path, dest: Path, budget: _Budget) -> list[str]:
    written: list[str] = []
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > budget.limits.max_files:
            raise UnpackError("unpack.too_many_files", limit=budget.limits.max_files)
        for info in infos:
            rel = safe_name(info.filename, budget.limits.max_depth)
            if rel is None:
                continue
            mode = info.external_attr >> 16
            if info.is_dir():
                dest.joinpath(*rel.parts).mkdir(parents=True, exist_ok=True)
                continue
            # Only Unix-made zips record a file type; we never create links either way.
            if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                raise UnpackError("unpack.link", name=repr(info.filename))
            budget.take_file()
            with zf.open(info) as source:
                _write(source, dest.joinpath(*rel.parts), bool(mode & 0o111), budget)
            written.append(str(rel))
    return written


class _CappedStream(io.RawIOBase):
    """Decompressed bytes, refused past a cap, so tar metadata cannot be a bomb either."""

    def __init__(self, source: IO[bytes], cap: int) -> None:
        self._source = source
        self._left = cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._source.read(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise UnpackError("unpack.too_large_decompressed")
        buffer[: len(data)] = data
        return len(data)


def _from_tar(archive: Path, dest: Path, budget: _Budget, compressed: bool) -> list[str]:
    written: list[str] = []
    limits = budget.limits
    cap = limits.max_bytes + (limits.max_files + 8) * _TAR_OVERHEAD_PER_FILE
    with open(archive, "rb") as raw:
        source: IO[bytes] = gzip.GzipFile(fileobj=raw) if compressed else raw  # type: ignore[assignment]
        stream = io.BufferedReader(_CappedStream(source, cap))
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                rel = safe_name(member.name, limits.max_depth)
                if rel is None:
                    continue
                if member.isdir():
                    dest.joinpath(*rel.parts).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isreg():
                    raise UnpackError("unpack.link", name=repr(member.name))
                budget.take_file()
                extracted = tar.extractfile(member)
                if extracted is None:
                    raise UnpackError("unpack.unreadable", name=repr(member.name))
                with extracted:
                    _write(extracted, dest.joinpath(*rel.parts), bool(member.mode & 0o111), budget)
                written.append(str(rel))
    return written


def _format(archive: Path) -> str:
    with open(archive, "rb") as f:
        head = f.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    raise UnpackError("unpack.not_archive")


def _walk_dirs(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_dir():
            yield path


def unpack(archive: Path, dest: Path, limits: UnpackLimits) -> Unpacked:
    """Unpack `archive` into `dest`, which must not exist yet; `UnpackError` says what is wrong.

    On error nothing is left at `dest`.
    """
    staging = dest.with_name(dest.name + ".unpacking")
    staging.mkdir(parents=True)
    budget = _Budget(limits)
    try:
        kind = _format(archive)
        if kind == "zip":
            files = _from_zip(archive, staging, budget)
        else:
            files = _from_tar(archive, staging, budget, compressed=kind == "tar.gz")
    except UnpackError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UnpackError("unpack.damaged", error=str(exc)) from exc
    except (RuntimeError, NotImplementedError) as exc:  # zipfile: encrypted or odd compression
        shutil.rmtree(staging, ignore_errors=True)
        raise UnpackError("unpack.encrypted", error=str(exc)) from exc
    for directory in [staging, *_walk_dirs(staging)]:
        directory.chmod(0o755)
    top = list(staging.iterdir())
    result = Unpacked(files)
    if len(top) == 1 and top[0].is_dir():
        folder = top[0].name
        top[0].rename(dest)
        staging.rmdir()
        result.files = [f.split("/", 1)[1] for f in files]
        result.flattened = folder
    else:
        staging.rename(dest)
    return result
