"""A bundle's compute pools: a phase whose limits no pool of the site can meet is refused when
loaded, at the key to change; a site that declares no pools accepts any pool name."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bundles.load import load_into_db
from app.bundles.validate import BundleInvalid, validate_bundle
from app.core.runtime import open_runtime
from app.core.settings import ComputePool, Settings
from tests.bundles.bundle_helpers import copy_valid, line_of

POOLS = [
    ComputePool(name="default", cpus=4, memory_mb=8192),
    ComputePool(name="gpu", cpus=8, memory_mb=16384, gpus=1),
]
FINAL = """  - name: final
    title: {it: "Finale", en: "Final"}
    start: 2026-03-01T00:00:00+01:00
    end: 2026-03-15T18:00:00+01:00
    kind: predictions
    limits: {per_day: 2, total: 20, concurrent: 1}
"""


def _bundle(tmp_path: Path, final: str, top: str = "") -> Path:
    """The valid fixture with its final phase replaced by `final` (and `top` keys added)."""
    bundle = copy_valid(tmp_path / "bundle")
    path = bundle / "challenge.yaml"
    text = path.read_text(encoding="utf-8")
    assert FINAL in text
    text = text.replace(FINAL, final)
    if top:
        text = text.replace("teams:", top + "teams:", 1)
    path.write_text(text, encoding="utf-8")
    return bundle


CODE_GPU = """  - name: final
    title: {it: "Finale", en: "Final"}
    start: 2026-03-01T00:00:00+01:00
    end: 2026-03-15T18:00:00+01:00
    kind: code
    code: {command: [python3, main.py], memory_mb: %d, cpus: 2}
    compute: {pool: %s, gpus: %d}
"""


def _errors(bundle: Path, pools: list[ComputePool]) -> list[tuple[int | None, str]]:
    with validate_bundle(bundle, pools=pools) as report:
        return [(e.line, str(e.message)) for e in report.errors]


def test_a_phase_that_fits_its_pool_passes(tmp_path: Path) -> None:
    assert _errors(_bundle(tmp_path, CODE_GPU % (12000, "gpu", 1)), POOLS) == []


def test_more_gpus_than_the_pool_has_is_refused_at_the_phase_key(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, CODE_GPU % (1024, "gpu", 2))
    errors = _errors(bundle, POOLS)
    assert errors == [
        (
            line_of(bundle / "challenge.yaml", "compute: {pool: gpu"),
            "phases[1] (final) asks for gpus: 2, more than compute pool 'gpu' offers (1)",
        )
    ]


def test_more_memory_than_the_pool_has_is_refused_at_memory_mb(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, CODE_GPU % (12000, "default", 0))
    errors = _errors(bundle, POOLS)
    assert len(errors) == 1
    line, message = errors[0]
    assert line == line_of(bundle / "challenge.yaml", "memory_mb: 12000")
    assert "memory_mb: 12000" in message and "'default' offers (8192)" in message


def test_a_pool_the_site_lacks_is_refused_and_the_pools_are_named(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, FINAL, top="compute: {pool: tpu}\n")
    errors = _errors(bundle, POOLS)
    line = line_of(bundle / "challenge.yaml", "compute: {pool: tpu}")
    message = "runs in compute pool 'tpu', which this site does not have (pools: default, gpu)"
    assert errors == [(line, f"phases[{i}] ({name}) {message}") for i, name in
                      enumerate(["development", "final"])]  # fmt: skip


def test_without_declared_pools_any_pool_is_accepted(tmp_path: Path) -> None:
    assert _errors(_bundle(tmp_path, CODE_GPU % (60000, "anything", 8)), []) == []


def test_loading_uses_the_sites_pools(tmp_path: Path) -> None:
    """`marea challenge load` and the organisers' upload both load through load_into_db."""
    settings = Settings(
        data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'm.db'}", pools=POOLS
    )
    runtime = open_runtime(settings)
    bundle = _bundle(tmp_path, CODE_GPU % (1024, "gpu", 4))
    with pytest.raises(BundleInvalid) as refused:
        load_into_db(runtime, bundle)
    [error] = refused.value.report.errors
    assert error.file == "challenge.yaml"
    assert error.line == line_of(bundle / "challenge.yaml", "compute: {pool: gpu")
    assert "gpus: 4" in str(error.message)
