"""The store's contract, held by both backends (a folder and an S3 bucket): names are hashes,
writes are atomic, caps leave nothing behind, reads stream, local paths are the right bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.core.store import TooLarge
from tests.app.store.conftest import Backend


def test_put_names_objects_by_sha256_and_deduplicates(backend: Backend) -> None:
    store = backend.store
    first = store.put_bytes(b"id,value\n1,2.5\n")
    second = store.put_stream([b"id,value\n", b"1,2.5\n"])
    assert first == second
    assert first.sha256 == hashlib.sha256(b"id,value\n1,2.5\n").hexdigest()
    assert first.size == 15
    with store.open(first.sha256) as fh:
        assert fh.read() == b"id,value\n1,2.5\n"
    assert backend.objects() == [f"{backend.prefix}{first.sha256[:2]}/{first.sha256[2:]}"]
    assert backend.leftovers() == []


def test_streaming_over_the_cap_keeps_nothing(backend: Backend) -> None:
    store = backend.store
    chunks = (b"x" * 1000 for _ in range(10))
    with pytest.raises(TooLarge):
        store.put_stream(chunks, max_bytes=5000)
    assert backend.objects() == []
    assert backend.leftovers() == []
    assert not store.exists(hashlib.sha256(b"x" * 10000).hexdigest())


def test_put_file_local_path_and_copy_to(backend: Backend, tmp_path: Path) -> None:
    src = tmp_path / "data.csv"
    src.write_bytes(b"a,b\n" * 1000)
    store = backend.store
    obj = store.put_file(src)
    assert store.exists(obj.sha256)
    assert store.local_path(obj.sha256).read_bytes() == src.read_bytes()
    store.copy_to(obj.sha256, tmp_path / "out" / "copy.csv")
    assert (tmp_path / "out" / "copy.csv").read_bytes() == src.read_bytes()


def test_rejects_names_that_are_not_digests(backend: Backend) -> None:
    store = backend.store
    with pytest.raises(ValueError, match="sha256"):
        store.open("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.local_path("0" * 64)
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
    assert not store.exists("0" * 64)
