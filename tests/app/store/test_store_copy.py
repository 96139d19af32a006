"""`marea store copy`: a site's files move from a folder to a bucket and back, resumably, and a
damaged object is reported instead of copied under a name it no longer matches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core.store import LocalStore
from tests.app.store.conftest import Backend
from tests.s3_server import new_bucket, s3_env

MAREA = Path(sys.executable).parent / "marea"


def test_digests_lists_every_object_and_nothing_else(backend: Backend) -> None:
    kept = {backend.store.put_bytes(f"object {i}\n".encode()).sha256 for i in range(5)}
    with backend.store.spool_dir.joinpath("half-written").open("wb") as fh:
        fh.write(b"not an object yet")
    assert set(backend.store.digests()) == kept


def _copy(
    source: str, dest: str, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MAREA), "store", "copy", source, dest, *extra],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )


def test_a_folder_moves_to_a_bucket_and_back(tmp_path: Path) -> None:
    folder = LocalStore(tmp_path / "store")
    objects = {folder.put_bytes(os.urandom(size)).sha256 for size in (0, 10, 70_000, 3_000_000)}
    bucket = new_bucket()
    env = {**s3_env(bucket), "MAREA_DATA_DIR": str(tmp_path / "var")}
    env.pop("MAREA_STORE_URL")

    there = _copy(f"file://{tmp_path / 'store'}", f"s3://{bucket}/site", env, "--verify")
    assert there.returncode == 0, there.stderr
    assert there.stdout.startswith("4 copied"), there.stdout
    assert "every object verified" in there.stdout

    again = _copy(f"file://{tmp_path / 'store'}", f"s3://{bucket}/site", env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 copied"), again.stdout
    assert "4 already in" in again.stdout

    back = _copy(f"s3://{bucket}/site", f"file://{tmp_path / 'back'}", env, "--verify")
    assert back.returncode == 0, back.stderr
    returned = LocalStore(tmp_path / "back")
    assert set(returned.digests()) == objects
    for sha in objects:
        assert returned.local_path(sha).read_bytes() == folder.local_path(sha).read_bytes()


def test_an_interrupted_copy_resumes_where_it_stopped(tmp_path: Path) -> None:
    """Writes are atomic in both stores, so an interruption leaves some objects whole and the
    rest absent: the state this test starts from."""
    source = LocalStore(tmp_path / "src")
    shas = [source.put_bytes(f"row {i}\n".encode()).sha256 for i in range(6)]
    dest = LocalStore(tmp_path / "dst")
    for sha in shas[:4]:
        source.copy_to(sha, tmp_path / "one")
        dest.put_file(tmp_path / "one")
    done = _copy(f"file://{tmp_path / 'src'}", f"file://{tmp_path / 'dst'}", {})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 copied"), done.stdout
    assert "4 already in" in done.stdout
    assert set(dest.digests()) == set(shas)


def test_a_damaged_source_object_is_reported_not_copied(tmp_path: Path) -> None:
    source = LocalStore(tmp_path / "src")
    good = source.put_bytes(b"good\n").sha256
    bad = source.put_bytes(b"original\n").sha256
    source.local_path(bad).chmod(0o644)
    source.local_path(bad).write_bytes(b"changed in place\n")
    done = _copy(f"file://{tmp_path / 'src'}", f"file://{tmp_path / 'dst'}", {})
    assert done.returncode == 1
    assert f"corrupt in file://{tmp_path / 'src'}: {bad}" in done.stderr
    dest = LocalStore(tmp_path / "dst")
    assert good in set(dest.digests())
    assert bad not in set(dest.digests())


def test_a_malformed_store_url_says_what_to_write(tmp_path: Path) -> None:
    done = _copy("ftp://somewhere/files", f"file://{tmp_path / 'dst'}", {})
    assert done.returncode == 2
    assert "ftp://somewhere/files" in done.stderr
    assert "s3://" in done.stderr
