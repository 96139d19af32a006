"""The content-addressed store: names are hashes, writes are atomic, caps leave nothing behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.core.store import LocalStore, TooLarge


def test_put_names_objects_by_sha256_and_deduplicates(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    first = store.put_bytes(b"id,value\n1,2.5\n")
    second = store.put_stream([b"id,value\n", b"1,2.5\n"])
    assert first == second
    assert first.sha256 == hashlib.sha256(b"id,value\n1,2.5\n").hexdigest()
    assert first.size == 15
    with store.open(first.sha256) as fh:
        assert fh.read() == b"id,value\n1,2.5\n"
    root = tmp_path / "store"
    objects = [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"]
    assert len(objects) == 1


def test_streaming_over_the_cap_keeps_nothing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    chunks = (b"x" * 1000 for _ in range(10))
    with pytest.raises(TooLarge):
        store.put_stream(chunks, max_bytes=5000)
    leftovers = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert leftovers == []
    assert not store.exists(hashlib.sha256(b"x" * 10000).hexdigest())


def test_put_file_and_local_path(tmp_path: Path) -> None:
    src = tmp_path / "data.csv"
    src.write_bytes(b"a,b\n" * 1000)
    store = LocalStore(tmp_path / "store")
    obj = store.put_file(src)
    assert store.local_path(obj.sha256).read_bytes() == src.read_bytes()


def test_rejects_names_that_are_not_digests(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with pytest.raises(ValueError, match="sha256"):
        store.open("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.local_path("0" * 64)
