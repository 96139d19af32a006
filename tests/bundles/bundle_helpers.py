"""Helpers for the bundle tests: the valid fixture copied to a temp dir, and broken variants.

A broken case is a folder under tests/bundles/broken/<case>/ whose files replace those of
the valid fixture; in challenge.yaml the offending line carries a `#!` marker comment, so
the expected line number is read from the file rather than written into the test.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VALID = HERE / "fixtures" / "valid"
BROKEN = HERE / "broken"
MARKER = "#!"


def copy_valid(dest: Path) -> Path:
    shutil.copytree(VALID, dest)
    return dest


def overlay(case: str, dest: Path) -> Path:
    """The valid fixture with the files of broken/<case> laid over it."""
    copy_valid(dest)
    source = BROKEN / case
    if source.is_dir():
        shutil.copytree(source, dest, dirs_exist_ok=True)
    return dest


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of `path` containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in {path}")
