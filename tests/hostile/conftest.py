"""Fixtures for the hostile-input suite: Redis db 8 only, and a private temp dir per test.

Redis db 8 is this suite's alone: each site (hostile_world.open_world) flushes it before and
after, and nothing here touches another db (pub/sub channels are shared by all dbs, and other
suites run alongside).

Every test here may leave nothing behind, so the system temp dir is redirected into the
test's own folder: a file written there by the app (a spooled upload, an unpacked bundle) is
then visible to the assertions instead of being lost among other processes' files in /tmp.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.settings import Settings
from tests.hostile.hostile_world import hostile_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite-wide fixture, pointed at Redis db 8 (the only db this suite may touch)."""
    return hostile_settings(tmp_path)


@pytest.fixture
def system_tmp(tmp_path: Path) -> Iterator[Path]:
    """The process's temp dir for this test only, so stray temp files can be counted."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    before = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before
