"""The valid fixture bundle, copied fresh for each test that may change it."""

from __future__ import annotations

from pathlib import Path

import pytest
from bundle_helpers import copy_valid


@pytest.fixture
def valid_bundle(tmp_path: Path) -> Path:
    return copy_valid(tmp_path / "bundle")
