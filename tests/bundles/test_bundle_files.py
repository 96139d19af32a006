"""load_bundle and bundle_files: the manifest the database loader stores, and the size caps."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from bundle_helpers import overlay, zip_folder

from app.bundles import (
    BundleInvalid,
    BundleLimits,
    ErrorCategory,
    FileRole,
    bundle_files,
    load_bundle,
    validate_bundle,
)


def test_manifest_lists_every_file_with_role_hash_and_size(valid_bundle: Path) -> None:
    with load_bundle(valid_bundle) as loaded:
        files = loaded.files
        roles = {(f.role, f.path) for f in files}
        assert files[0].path == "challenge.yaml" and files[0].role is FileRole.CONFIG
        assert (FileRole.REFERENCE, "reference/answers.csv") in roles
        assert (FileRole.PUBLIC, "data/train.csv") in roles
        # data/test.csv is both downloadable and mounted into code runs: listed once per role
        assert (FileRole.PUBLIC, "data/test.csv") in roles
        assert (FileRole.INPUT, "data/test.csv") in roles
        assert (FileRole.BASELINE, "baseline/predictions.csv") in roles
        starter = sorted(f.path for f in files if f.role is FileRole.STARTER)
        assert starter == ["starter/README.md", "starter/starter.py"]
        assert len([f for f in files if f.role is FileRole.PAGE]) == 8
        for item in files:
            data = loaded.path_of(item).read_bytes()
            assert item.sha256 == hashlib.sha256(data).hexdigest()
            assert item.size == len(data)
        described = next(f for f in files if f.path == "data/train.csv")
        assert described.description is not None and described.description.it
        assert len(loaded.sha256) == 64
    assert valid_bundle.is_dir()


def test_manifest_skips_hidden_clutter_in_folders(valid_bundle: Path) -> None:
    (valid_bundle / "starter" / "__pycache__").mkdir()
    (valid_bundle / "starter" / "__pycache__" / "starter.cpython-311.pyc").write_bytes(b"\0")
    (valid_bundle / "starter" / ".DS_Store").write_bytes(b"\0")
    with validate_bundle(valid_bundle) as report:
        assert report.challenge is not None
        paths = {f.path for f in bundle_files(valid_bundle, report.challenge)}
    assert "starter/README.md" in paths
    assert not any("__pycache__" in p or ".DS_Store" in p for p in paths)


def test_bundle_hash_follows_content(valid_bundle: Path) -> None:
    with load_bundle(valid_bundle) as first:
        before = first.sha256
    with load_bundle(valid_bundle) as again:
        assert again.sha256 == before
    page = valid_bundle / "pages" / "rules.en.md"
    page.write_text(page.read_text() + "\nOne more rule.\n")
    with load_bundle(valid_bundle) as changed:
        assert changed.sha256 != before


def test_load_from_zip_keeps_files_until_closed(valid_bundle: Path, tmp_path: Path) -> None:
    archive = zip_folder(valid_bundle, tmp_path / "bundle.zip")
    with load_bundle(archive) as loaded:
        answers = next(f for f in loaded.files if f.role is FileRole.REFERENCE)
        assert loaded.path_of(answers).read_bytes() == (valid_bundle / answers.path).read_bytes()
        root = loaded.root
    assert not root.exists()


def test_load_of_a_broken_bundle_raises_with_the_report(tmp_path: Path) -> None:
    bundle = overlay("rank_by_missing", tmp_path / "bundle")
    with pytest.raises(BundleInvalid) as caught:
        load_bundle(bundle)
    errors = caught.value.report.errors
    assert len(errors) == 1 and "rank_by 'score'" in errors[0].message
    assert "rank_by 'score'" in str(caught.value)


def test_per_file_and_total_caps(valid_bundle: Path) -> None:
    train_size = (valid_bundle / "data" / "train.csv").stat().st_size
    with validate_bundle(valid_bundle, BundleLimits(max_file_bytes=train_size - 1)) as report:
        too_big = [e for e in report.errors if "limit per file" in e.message]
    assert "data/train.csv" in {e.file for e in too_big}
    assert all(e.category is ErrorCategory.FILE for e in too_big)
    with validate_bundle(valid_bundle, BundleLimits(max_total_bytes=train_size)) as report:
        assert [e.file for e in report.errors] == ["challenge.yaml"]
        assert "add up to" in report.errors[0].message


def test_zip_caps_apply_before_unpacking(valid_bundle: Path, tmp_path: Path) -> None:
    archive = zip_folder(valid_bundle, tmp_path / "bundle.zip")
    with validate_bundle(archive, BundleLimits(max_files=3)) as report:
        assert report.root is None
        assert [e.category for e in report.errors] == [ErrorCategory.ARCHIVE]
        assert "over the limit of 3" in report.errors[0].message


def test_page_and_yaml_caps(valid_bundle: Path) -> None:
    with validate_bundle(valid_bundle, BundleLimits(max_page_bytes=10)) as report:
        assert len(report.errors) == 8
        assert all(e.file.startswith("pages/") for e in report.errors)
    with validate_bundle(valid_bundle, BundleLimits(max_yaml_bytes=100)) as report:
        assert [e.file for e in report.errors] == ["challenge.yaml"]
        assert "limit" in report.errors[0].message


def test_reference_rows_beyond_the_cap_are_not_read(tmp_path: Path) -> None:
    bundle = overlay("reference_bad_split", tmp_path / "bundle")
    with validate_bundle(bundle, BundleLimits(max_reference_rows=2)) as report:
        assert report.ok, [str(e) for e in report.errors]
