"""Content-addressed file store: bundles, datasets, submissions and logs.

Files are named by their sha256, so storing the same bytes twice costs nothing
and a record can always prove which bytes it refers to. The name is `sandbox`'s
sha256, the digest judging records as provenance, so the two always agree; a capped
write stops as every other capped read does (`app.core.capped`, `TooLarge`). The
interface is small so that a backend can be swapped: `LocalStore` is a folder (shared by
every host), `app.core.s3store.S3Store` an S3-compatible bucket; `open_store` builds the
one MAREA_STORE_URL names.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from app.core.capped import ByteCap, TooLarge
from app.core.settings import BucketLocation, Settings
from sandbox import Sha256Stream, file_chunks

CHUNK = 1024 * 1024

__all__ = [
    "CHUNK",
    "CorruptObject",
    "LocalStore",
    "Store",
    "StoredObject",
    "TooLarge",
    "check_digest",
    "is_digest",
    "open_store",
]


class CorruptObject(Exception):
    """The bytes stored under a digest are not the bytes that digest names (changed in place)."""


def check_digest(sha256: str) -> str:
    """`sha256` if it is a lowercase hex digest; a name from outside never becomes a path or key."""
    if not is_digest(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def is_digest(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int


class Store(Protocol):
    # A local folder for a file on its way into the store (an upload being parsed).
    spool_dir: Path

    def put_stream(
        self, chunks: Iterable[bytes], *, max_bytes: int | None = None
    ) -> StoredObject: ...
    def put_bytes(self, data: bytes) -> StoredObject: ...
    def put_file(self, path: Path) -> StoredObject: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def local_path(self, sha256: str) -> Path: ...
    def copy_to(self, sha256: str, dest: Path) -> None: ...
    def digests(self) -> Iterator[str]: ...
    def problem(self) -> str | None: ...


def open_store(settings: Settings) -> Store:
    """The store MAREA_STORE_URL names (StoreUrlError, saying what to write, if malformed).

    boto3 is imported only for an s3:// store, so a folder site's commands start as fast as before.
    """
    location = settings.store_location()
    if isinstance(location, BucketLocation):
        from app.core.s3store import S3Store

        return S3Store.from_settings(settings, location)
    return LocalStore(location.path)


class LocalStore:
    """A directory of objects laid out as ab/cdef... with atomic writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spool_dir = root / "tmp"
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StoredObject:
        hashed = Sha256Stream(ByteCap(max_bytes).through(chunks))
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in hashed:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            # Readable by the sandbox's unprivileged user when bind-mounted; never writable.
            tmp.chmod(0o644)
            sha = hashed.hexdigest()
            final = self._path(sha)
            if final.exists():
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            return StoredObject(sha, hashed.size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_bytes(self, data: bytes) -> StoredObject:
        return self.put_stream([data])

    def put_file(self, path: Path) -> StoredObject:
        return self.put_stream(file_chunks(path))

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def problem(self) -> str | None:
        """Why this host cannot use the store now (a worker then takes no job), or None."""
        if not self.spool_dir.is_dir() or not os.access(self.spool_dir, os.W_OK):
            return f"the store folder {self.root} is missing or not writable"
        return None

    def digests(self) -> Iterator[str]:
        """Every object's digest (files half-written under tmp/ are not objects yet)."""
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for item in sorted(folder.iterdir()):
                name = folder.name + item.name
                if item.is_file() and is_digest(name):
                    yield name

    def local_path(self, sha256: str) -> Path:
        """A path readable by local tools (docker bind mounts); raises if absent."""
        path = self._path(sha256)
        if not path.is_file():
            raise FileNotFoundError(f"object {sha256} is not in the store")
        return path

    def copy_to(self, sha256: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.local_path(sha256), dest)
