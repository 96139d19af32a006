"""Content-addressed file store: bundles, datasets, submissions and logs.

Files are named by their sha256, so storing the same bytes twice costs nothing
and a record can always prove which bytes it refers to. The interface is small
so that an S3-compatible backend can replace the local directory later.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """Raised while streaming when the content exceeds the caller's cap; nothing is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"content exceeds the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int


class Store(Protocol):
    def put_stream(
        self, chunks: Iterable[bytes], *, max_bytes: int | None = None
    ) -> StoredObject: ...
    def put_bytes(self, data: bytes) -> StoredObject: ...
    def put_file(self, path: Path) -> StoredObject: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def local_path(self, sha256: str) -> Path: ...


class LocalStore:
    """A directory of objects laid out as ab/cdef... with atomic writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StoredObject:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            # Readable by the sandbox's unprivileged user when bind-mounted; never writable.
            tmp.chmod(0o644)
            sha = digest.hexdigest()
            final = self._path(sha)
            if final.exists():
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            return StoredObject(sha, size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_bytes(self, data: bytes) -> StoredObject:
        return self.put_stream([data])

    def put_file(self, path: Path) -> StoredObject:
        with path.open("rb") as fh:
            return self.put_stream(iter(lambda: fh.read(CHUNK), b""))

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path:
        """A path readable by local tools (docker bind mounts); raises if absent."""
        path = self._path(sha256)
        if not path.is_file():
            raise FileNotFoundError(f"object {sha256} is not in the store")
        return path

    def copy_to(self, sha256: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.local_path(sha256), dest)
