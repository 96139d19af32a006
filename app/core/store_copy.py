"""Moving a site's objects from one store to another (a folder to a bucket, or back).

Objects are named by their content, so a copy is resumable for free: an object already in the
destination is the same bytes and is skipped, and an interrupted run starts again where it
stopped. Every copied object is verified on the way: the destination computes the sha256 of
what it wrote, and a source object whose bytes no longer match its name is reported, never
passed off as the object it claims to be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.store import Store
from sandbox import read_chunks, sha256_chunks


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    # Digests whose source bytes do not match their name: left out of the destination.
    corrupt: list[str] = field(default_factory=list)
    # Digests the destination does not hold after a --verify re-read.
    unverified: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupt and not self.unverified


def copy_store(
    source: Store,
    dest: Store,
    *,
    verify: bool = False,
    progress: Callable[[str], None] = lambda _sha: None,
) -> CopyReport:
    """Every object of `source` into `dest`; `verify` re-reads each one from `dest` after."""
    report = CopyReport()
    for sha in source.digests():
        if dest.exists(sha):
            report.already_there += 1
        else:
            with source.open(sha) as fh:
                written = dest.put_stream(read_chunks(fh))
            if written.sha256 != sha:
                report.corrupt.append(sha)
            else:
                report.copied += 1
                report.bytes_copied += written.size
        if verify and sha not in report.corrupt and not _verified(dest, sha):
            report.unverified.append(sha)
        progress(sha)
    return report


def _verified(store: Store, sha: str) -> bool:
    try:
        with store.open(sha) as fh:
            return sha256_chunks(read_chunks(fh)) == sha
    except FileNotFoundError:
        return False


def count(store: Store) -> int:
    return sum(1 for _ in store.digests())
