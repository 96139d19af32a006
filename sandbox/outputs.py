"""Copy a tar stream of output files onto the host without trusting it.

The archive is produced inside the sandbox, so it is hostile input: only regular
files and directories are taken, names must stay under the destination, and the
total size and file count are capped. Links, devices and anything odd are skipped.
"""

from __future__ import annotations

import errno
import io
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_COPY_CHUNK = 1 << 16


@dataclass
class CopiedOutputs:
    files: list[str] = field(default_factory=list)
    truncated: bool = False
    skipped: list[str] = field(default_factory=list)
    # Whether a tar archive came out at all (tar always writes at least one entry, "./"):
    # when the copy could not even start, the stream holds the engine's error, not a cap.
    started: bool = False


class _CappedReader(io.RawIOBase):
    """A file over an iterator of chunks that reports EOF after `cap` bytes."""

    def __init__(self, chunks: Iterable[bytes], cap: int) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self.remaining = cap
        self.hit_cap = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self.remaining <= 0:
                self.hit_cap = next(self._chunks, None) is not None or self.hit_cap
                return 0
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending), self.remaining)
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.remaining -= n
        return n


def _safe_relative(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute():
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return PurePosixPath(*parts)


# Errors that come from an entry's name, not from the host: skip the entry and go on.
_UNWRITABLE_NAME = frozenset(
    {errno.ENAMETOOLONG, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ELOOP}
)


def _copy(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> bool:
    """Write one folder or regular file; True for a file."""
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return False
    source = tar.extractfile(member)
    if source is None:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        while block := source.read(_COPY_CHUNK):
            out.write(block)
    target.chmod(0o644)
    return True


def extract(
    chunks: Iterable[bytes], dest: Path, *, max_bytes: int, max_files: int
) -> CopiedOutputs:
    """Unpack a tar stream into `dest` (which must exist), within the caps."""
    result = CopiedOutputs()
    # Tar headers and padding add up to about 1.5 KiB per file on top of the content.
    reader = _CappedReader(chunks, max_bytes + (max_files + 4) * 1536)
    written = 0
    try:
        with tarfile.open(fileobj=io.BufferedReader(reader), mode="r|") as tar:
            result.started = True
            for member in tar:
                rel = _safe_relative(member.name)
                if rel is None:
                    continue
                target = dest.joinpath(*rel.parts)
                if not (member.isdir() or member.isreg()):
                    result.skipped.append(str(rel))
                    continue
                if member.isreg() and (
                    len(result.files) >= max_files or written + member.size > max_bytes
                ):
                    result.truncated = True
                    break
                try:
                    if _copy(tar, member, target):
                        written += member.size
                        result.files.append(str(rel))
                except OSError as exc:
                    if exc.errno not in _UNWRITABLE_NAME:
                        raise
                    # A name this host cannot hold (too long, a file where a folder must be):
                    # lose that entry, not every output after it.
                    result.skipped.append(str(rel))
    except (tarfile.TarError, EOFError, OSError):
        result.truncated = True
    if reader.hit_cap:
        result.truncated = True
    return result
