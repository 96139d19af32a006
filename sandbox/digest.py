"""sha256 digests, computed one way for the whole project.

The same bytes must give the same name everywhere: a stored object's name, a bundle
file's hash, a judged submission's provenance digest and the runner image's recipe hash
are compared with one another (a rescore proves it reproduces a score by them), so they
come from one reader and one hash. It lives in the lowest layer because the sandbox
itself needs it (`sandbox.image.build.recipe_hash`); judging and app use it through
`sandbox`'s public face rather than each keeping a copy that could drift apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


def read_chunks(source: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """An open binary file in chunks of `size`, so no caller holds a whole upload in memory."""
    while chunk := source.read(size):
        yield chunk


def file_chunks(path: Path, size: int = CHUNK) -> Iterator[bytes]:
    """The file at `path` in chunks; it is closed when the chunks run out (or are dropped)."""
    with path.open("rb") as source:
        yield from read_chunks(source, size)


def sha256_chunks(chunks: Iterable[bytes]) -> str:
    """The hex digest of the chunks' concatenation (how they are cut does not matter)."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_chunks(file_chunks(path))


class Sha256Stream:
    """The chunks passed through unchanged, hashed and counted on the way.

    For writers that must hash what they write in the same pass (the content-addressed
    store names a file by its digest only once the last chunk is written): iterate it,
    then read `hexdigest()` and `size`.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self._hash = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._hash.update(chunk)
            self.size += len(chunk)
            yield chunk

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
