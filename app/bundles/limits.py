"""Size caps for a bundle, in one place so errors and docs quote the same numbers.

A bundle comes from an organiser's laptop or an upload form; the caps keep a
mistaken (a 20 GB raw dump) or hostile (a zip bomb) bundle from filling the disk
before anyone notices. Callers with other needs pass their own `BundleLimits`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.text.words import N_, Words

MiB = 1024 * 1024

MAX_FILE_BYTES = 512 * MiB
MAX_TOTAL_BYTES = 2048 * MiB
MAX_FILES = 10_000
MAX_YAML_BYTES = 256 * 1024
MAX_PAGE_BYTES = 1 * MiB
MAX_REFERENCE_ROWS = 1_000_000


@dataclass(frozen=True)
class BundleLimits:
    max_file_bytes: int = MAX_FILE_BYTES  # any single file
    max_total_bytes: int = MAX_TOTAL_BYTES  # all files the bundle names, or a zip unpacked
    max_files: int = MAX_FILES  # files the bundle names, or members of a zip
    max_yaml_bytes: int = MAX_YAML_BYTES  # challenge.yaml
    max_page_bytes: int = MAX_PAGE_BYTES  # each markdown page
    max_reference_rows: int = MAX_REFERENCE_ROWS  # rows of the reference CSV checked


DEFAULT_LIMITS = BundleLimits()


def human_size(size: int) -> Words:
    if size >= MiB:
        return N_("{size} MiB", size=f"{size / MiB:.1f}")
    if size >= 1024:
        return N_("{size} KiB", size=f"{size / 1024:.1f}")
    return N_("{size} bytes", size=size)
