"""The S3 store on a real S3 server (SeaweedFS, tests/s3_server.py): multipart writes under a
cap, streaming reads, the host's verified cache and its eviction, and the store URL's errors."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.s3store import ObjectCache, S3Store
from app.core.settings import BucketLocation, Settings, StoreUrlError
from app.core.store import CorruptObject, LocalStore, TooLarge, open_store
from tests.app.store.conftest import make_s3_store
from tests.s3_server import S3_SECRET_KEY, new_bucket, s3_client, s3_env

MiB = 1024 * 1024


def _big(size: int, seed: bytes = b"marea") -> Iterator[bytes]:
    """`size` bytes that do not repeat part to part, generated 1 MiB at a time."""
    block = hashlib.sha256(seed).digest() * (MiB // 32)
    for i in range(size // MiB):
        yield i.to_bytes(8, "big") + block[8:]
    if size % MiB:
        yield block[: size % MiB]


def _sha(size: int, seed: bytes = b"marea") -> str:
    h = hashlib.sha256()
    for chunk in _big(size, seed):
        h.update(chunk)
    return h.hexdigest()


def test_a_large_write_goes_up_in_parts_and_keeps_one_object(tmp_path: Path) -> None:
    backend = make_s3_store(tmp_path)
    store = backend.store
    size = 20 * MiB + 123  # three parts of 8 MiB, the last one short
    first = store.put_stream(_big(size))
    assert first.size == size and first.sha256 == _sha(size)
    again = store.put_stream(_big(size))  # same bytes: same name, nothing new
    assert again == first
    assert backend.objects() == [f"site/{first.sha256[:2]}/{first.sha256[2:]}"]
    assert backend.leftovers() == []
    head = backend.s3.head_object(Bucket=backend.bucket, Key=backend.objects()[0])
    assert head["ContentLength"] == size


def test_the_cap_stops_a_multipart_write_and_leaves_nothing(tmp_path: Path) -> None:
    backend = make_s3_store(tmp_path)
    sent: list[int] = []

    def counted() -> Iterator[bytes]:
        for chunk in _big(40 * MiB):
            sent.append(len(chunk))
            yield chunk

    with pytest.raises(TooLarge):
        backend.store.put_stream(counted(), max_bytes=18 * MiB)
    assert sum(sent) == 19 * MiB  # stopped at the chunk that passed the cap, not at the end
    assert backend.objects() == []
    assert backend.leftovers() == []  # no temporary key, no unfinished multipart upload


def test_open_streams_the_object(tmp_path: Path) -> None:
    backend = make_s3_store(tmp_path)
    size = 24 * MiB
    obj = backend.store.put_stream(_big(size, b"stream"))
    h = hashlib.sha256()
    tracemalloc.start()
    try:
        with backend.store.open(obj.sha256) as fh:
            assert fh.read(5) == next(_big(MiB, b"stream"))[:5]
            h.update(next(_big(MiB, b"stream"))[:5])
            while chunk := fh.read(256 * 1024):
                h.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert h.hexdigest() == obj.sha256
    assert peak < 8 * MiB, f"reading a {size}-byte object held {peak} bytes at once"


def test_local_path_fills_the_cache_once_and_refuses_a_changed_object(tmp_path: Path) -> None:
    backend = make_s3_store(tmp_path)
    store = backend.store
    assert isinstance(store, S3Store)
    good = store.put_bytes(b"reference answers\n")
    path = store.local_path(good.sha256)
    assert path.read_bytes() == b"reference answers\n"
    assert path.is_relative_to(tmp_path / "cache")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    # Cached: the bucket is not read again (the object may even go away).
    backend.s3.delete_object(Bucket=backend.bucket, Key=store.key(good.sha256))
    assert store.local_path(good.sha256) == path

    bad = store.put_bytes(b"hidden labels\n")
    backend.s3.put_object(Bucket=backend.bucket, Key=store.key(bad.sha256), Body=b"tampered\n")
    with pytest.raises(CorruptObject, match=f"object {bad.sha256} at s3://.*holds other bytes"):
        store.local_path(bad.sha256)
    with pytest.raises(CorruptObject):
        store.copy_to(bad.sha256, tmp_path / "out.csv")
    assert not store.cache.path(bad.sha256).exists()
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []
    assert not (tmp_path / "out.csv").exists()


def test_the_cache_evicts_the_least_recently_used_past_its_cap(tmp_path: Path) -> None:
    backend = make_s3_store(tmp_path, cache_bytes=2500)
    store = backend.store
    assert isinstance(store, S3Store)
    a, b, c = (store.put_bytes(bytes([n]) * 1000) for n in (1, 2, 3))
    path_a, path_b = store.local_path(a.sha256), store.local_path(b.sha256)
    os.utime(path_a, (1000, 1000))  # a used long ago, b a little later...
    os.utime(path_b, (2000, 2000))
    assert store.local_path(a.sha256) == path_a  # ...and a used again now
    path_c = store.local_path(c.sha256)  # 3000 bytes > 2500: the least recently used goes
    assert path_a.is_file() and path_c.is_file()
    assert not path_b.exists()
    assert store.local_path(b.sha256).read_bytes() == bytes([2]) * 1000  # fetched again

    # Copies used in the last few minutes stay even past the cap (a job may be about to link
    # them); once they are older, a copy alone over the cap is kept and every other one goes.
    for _, _, path in store.cache.entries():
        os.utime(path, (3000, 3000))
    huge = store.put_bytes(b"z" * 4000)
    assert store.local_path(huge.sha256).is_file()
    assert [p.name for _, _, p in store.cache.entries()] == [huge.sha256[2:]]


def test_open_store_follows_the_store_url(tmp_path: Path) -> None:
    folder = open_store(Settings(data_dir=tmp_path / "var"))
    assert isinstance(folder, LocalStore) and folder.root == tmp_path / "var" / "store"
    elsewhere = Settings(data_dir=tmp_path / "var", store_url=f"file://{tmp_path}/objects")
    store = open_store(elsewhere)
    assert isinstance(store, LocalStore) and store.root == tmp_path / "objects"
    assert elsewhere.store_dir == tmp_path / "objects"

    bucket = new_bucket()
    env = s3_env(bucket, "city/site")
    s3 = Settings(
        data_dir=tmp_path / "var",
        store_url=env["MAREA_STORE_URL"],
        s3_endpoint_url=env["MAREA_S3_ENDPOINT_URL"],
        s3_access_key_id=env["MAREA_S3_ACCESS_KEY_ID"],
        s3_secret_access_key=env["MAREA_S3_SECRET_ACCESS_KEY"],  # type: ignore[arg-type]
        store_cache_dir=tmp_path / "cache",
    )
    assert S3_SECRET_KEY not in repr(s3) and S3_SECRET_KEY not in str(s3.model_dump())
    store = open_store(s3)
    assert isinstance(store, S3Store) and store.cache.root == tmp_path / "cache"
    obj = store.put_bytes(b"x")
    keys = [o["Key"] for o in s3_client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"city/site/{obj.sha256[:2]}/{obj.sha256[2:]}"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://bucket/x", "no scheme Marea knows (ftp)"),
        ("/srv/marea/store", "no scheme Marea knows (none)"),
        ("file://srv/marea/store", "three slashes"),
        ("s3://", "names no valid bucket"),
        ("s3://My_Bucket/x", "lowercase"),
        ("s3://bucket/x?region=eu", "MAREA_S3_REGION"),
    ],
)
def test_a_bad_store_url_says_what_to_write(tmp_path: Path, url: str, says: str) -> None:
    settings = Settings(data_dir=tmp_path, store_url=url)
    with pytest.raises(StoreUrlError) as raised:
        open_store(settings)
    assert says in str(raised.value)
    assert "file:///absolute/path/to/folder or s3://bucket/optional/prefix" in str(raised.value)


def test_credentials_in_the_url_are_refused_without_echoing_them(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_url="s3://AKIA:topsecret@bucket/x")
    with pytest.raises(StoreUrlError) as raised:
        open_store(settings)
    assert "MAREA_S3_SECRET_ACCESS_KEY" in str(raised.value)
    assert "topsecret" not in str(raised.value)


def test_a_forked_process_makes_its_own_client(tmp_path: Path) -> None:
    """A worker forks per job: the child must not share the parent's connections."""
    made: list[object] = []

    def make() -> object:
        made.append(s3_client())
        return made[-1]

    bucket = new_bucket()
    store = S3Store(make, BucketLocation(bucket, ""), ObjectCache(tmp_path / "cache", MiB))  # type: ignore[arg-type]
    obj = store.put_bytes(b"shared")
    assert store.exists(obj.sha256) and len(made) == 1  # one client per process, reused
    pid = os.fork()
    if pid == 0:  # the child: a new client, and it works
        ok = store.exists(obj.sha256) and len(made) == 2
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.exists(obj.sha256) and len(made) == 1
