"""Fingerprints that let a rescore prove it reproduces a score.

A tree's digest covers each regular file's relative path and content, in a
fixed order, so it changes exactly when what the container sees changes.
Symbolic links are not followed: mounted data must be plain files, and a link
is reported as a problem rather than silently hashed or skipped. Each file's own
digest is `sandbox.sha256_file`, the one the store names objects by.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import sha256_file


@dataclass
class TreeDigest:
    sha256: str
    # Paths the sandbox user (not the worker) could not read, or links: the caller must fix them.
    problems: list[str] = field(default_factory=list)


def _entries(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    yield from sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix())


def sha256_tree(roots: dict[str, Path | None], *, skip: tuple[str, ...] = ()) -> TreeDigest:
    """One digest over several named folders (or files); None stands for an empty folder.

    Also checks every entry is world-readable, because the sandbox runs as an
    unprivileged user that owns none of it.
    """
    h = hashlib.sha256()
    problems: list[str] = []
    for name in sorted(roots):
        root = roots[name]
        h.update(f"[{name}]\n".encode())
        if root is None:
            continue
        if not root.exists():
            problems.append(f"{root} does not exist")
            continue
        for path in _entries(root):
            rel = path.relative_to(root).as_posix() if path != root else path.name
            if any(part in skip for part in Path(rel).parts):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                problems.append(f"{path} is a symbolic link")
            elif stat.S_ISDIR(info.st_mode):
                if info.st_mode & 0o005 != 0o005:
                    problems.append(f"{path} is not readable by other users")
            elif stat.S_ISREG(info.st_mode):
                if not info.st_mode & 0o004:
                    problems.append(f"{path} is not readable by other users")
                h.update(f"{rel}\0{sha256_file(path)}\n".encode())
            else:
                problems.append(f"{path} is not a regular file")
        if root.is_dir() and root.stat().st_mode & 0o005 != 0o005:
            problems.append(f"{root} is not readable by other users")
    return TreeDigest(h.hexdigest(), problems)
