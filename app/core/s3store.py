"""The content-addressed store in an S3-compatible bucket (AWS, SeaweedFS, MinIO, ...).

Same names as the folder store (`prefix/ab/cdef...`, the sha256 of the bytes), so hosts
that share nothing but the bucket agree on every object. A write streams: the bytes are
hashed and counted against their cap as they go up, in parts of `PART_SIZE` once they
outgrow one part; since the name is known only at the end, a large write goes to a
temporary key (`prefix/tmp/...`) that is copied to its name (or dropped when the name
already exists) and then deleted. A write that passes its cap, or fails, aborts its
multipart upload, so it leaves neither an object nor a temporary key. Reads stream
(`open`); tools that need a file (docker bind mounts) get one from `ObjectCache`, this
host's copy of the objects it has read, verified by sha256 when filled.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from app.core.capped import ByteCap
from app.core.settings import BucketLocation, Settings
from app.core.store import CHUNK, CorruptObject, StoredObject, check_digest, is_digest
from sandbox import Sha256Stream, file_chunks

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import CopySourceTypeDef

MiB = 1024 * 1024
PART_SIZE = 8 * MiB  # S3's smallest part is 5 MiB (all but the last)
COPY_OBJECT_MAX = 5 * 1024 * MiB  # one CopyObject call; larger copies go in parts


def _missing(exc: Exception) -> bool:
    """Whether a botocore ClientError says the key (or bucket) is not there."""
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class _ObjectReader(io.RawIOBase):
    """A GET's body as a raw stream, so `open` hands out a real buffered file that streams."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data: bytes = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class ObjectCache:
    """This host's copies of store objects as files, named by sha256, under a size cap.

    A copy is filled into `tmp/` and renamed in only once its bytes hash to its name, so a
    file in the cache is always right and a half-filled one is never seen (nor evicted:
    eviction looks only at renamed-in files). Each use touches the file's times; past the
    cap, the least recently used go first, but never one used in the last `keep_recent_s`:
    a job asks for all its files before it links them into its folder, and another process
    of the host may be filling the cache meanwhile, so a copy just handed out must outlive
    the next fill (the cache may pass its cap for that long). Several worker processes of a
    host may share the folder: renames are atomic and a lost race costs a second download,
    not a wrong file.
    """

    def __init__(self, root: Path, max_bytes: int, *, keep_recent_s: float = 300.0) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.keep_recent_s = keep_recent_s
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def get(self, sha256: str, source: BinaryIO, where: str) -> Path:
        """The cached file of `sha256`, filled from `source` if absent (closed either way)."""
        final = self.path(sha256)
        with source:
            if final.is_file():
                self._touch(final)
                return final
            fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out:
                    hashed = Sha256Stream(iter(lambda: source.read(CHUNK), b""))
                    for chunk in hashed:
                        out.write(chunk)
                if hashed.hexdigest() != sha256:
                    raise CorruptObject(
                        f"object {sha256} at {where} holds other bytes (their sha256 is "
                        f"{hashed.hexdigest()}): it was changed in the bucket; restore it from "
                        "a backup or upload the original again. Nothing was cached."
                    )
                tmp.chmod(0o644)  # readable by the sandbox's user when bind-mounted
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        self.evict(keep=final)
        return final

    @staticmethod
    def _touch(path: Path) -> None:
        # Access times are often not kept (relatime, noatime): each use sets both times.
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)

    def entries(self) -> list[tuple[float, int, Path]]:
        """(last use, size, path) of every cached object, oldest use first."""
        found: list[tuple[float, int, Path]] = []
        for folder in self.root.iterdir():
            if folder.name == "tmp" or not folder.is_dir():
                continue
            for path in folder.iterdir():
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue  # evicted by another process meanwhile
                found.append((st.st_mtime, st.st_size, path))
        found.sort(key=lambda entry: entry[0])
        return found

    def evict(self, keep: Path | None = None) -> None:
        """Remove the least recently used objects until the cache fits its cap (or only
        recently used ones are left)."""
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        recent = time.time() - self.keep_recent_s
        for used, size, path in entries:
            if total <= self.max_bytes or used >= recent:
                break  # oldest first: every later entry is recent too
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size


class S3Store:
    """A bucket (and key prefix) of objects named by sha256; see the module's docstring."""

    def __init__(
        self,
        make_client: Callable[[], S3Client],
        location: BucketLocation,
        cache: ObjectCache,
        *,
        part_size: int = PART_SIZE,
        make_probe: Callable[[], S3Client] | None = None,
    ) -> None:
        self._make_client = make_client
        self._make_probe = make_probe or make_client
        self._client: tuple[int, S3Client] | None = None
        self.bucket = location.bucket
        self.prefix = location.prefix
        self.location = location
        self.cache = cache
        self.part_size = part_size
        self.spool_dir = cache.root / "tmp"

    @property
    def client(self) -> S3Client:
        """This process's client, made on first use: a worker forks a process per job, and
        connections opened before a fork must not be shared by parent and child."""
        pid = os.getpid()
        if self._client is None or self._client[0] != pid:
            self._client = (pid, self._make_client())
        return self._client[1]

    @classmethod
    def from_settings(cls, settings: Settings, location: BucketLocation) -> S3Store:
        cache = ObjectCache(settings.cache_dir, settings.store_cache_bytes)
        return cls(
            lambda: _client_from(settings),
            location,
            cache,
            make_probe=lambda: _client_from(settings, probe=True),
        )

    def problem(self) -> str | None:
        """Why this host cannot reach the bucket now, or None; asked by a quick client (one
        try, short timeouts), so a worker's health check never hangs on a dead server."""
        try:
            self._make_probe().head_bucket(Bucket=self.bucket)
        except Exception as exc:
            return f"the bucket s3://{self.bucket} cannot be reached: {type(exc).__name__}: {exc}"
        return None

    def key(self, sha256: str) -> str:
        check_digest(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:]}"

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StoredObject:
        hashed = Sha256Stream(ByteCap(max_bytes).through(chunks))
        pending = bytearray()
        upload: _Multipart | None = None
        try:
            for chunk in hashed:
                pending += chunk
                while len(pending) >= self.part_size:
                    if upload is None:
                        upload = _Multipart(self.client, self.bucket, self._tmp_key())
                    upload.send(bytes(pending[: self.part_size]))
                    del pending[: self.part_size]
            sha = hashed.hexdigest()
            final = self.key(sha)
            if upload is None:
                # It all fit in one part: the name is known before anything is sent.
                if not self._exists_key(final):
                    self.client.put_object(Bucket=self.bucket, Key=final, Body=bytes(pending))
                return StoredObject(sha, hashed.size)
            if pending:
                upload.send(bytes(pending))
            upload.complete()
            if not self._exists_key(final):
                self._copy(upload.key, final, hashed.size)
            return StoredObject(sha, hashed.size)
        except BaseException:
            if upload is not None:
                # Best effort: the error that stopped the write is the one to report.
                with contextlib.suppress(Exception):
                    upload.abort()
            raise
        finally:
            if upload is not None and upload.completed:
                self.client.delete_object(Bucket=self.bucket, Key=upload.key)

    def _tmp_key(self) -> str:
        return f"{self.prefix}tmp/{uuid.uuid4().hex}"

    def _copy(self, source: str, dest: str, size: int) -> None:
        copy_source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": source}
        if size <= COPY_OBJECT_MAX:
            self.client.copy_object(Bucket=self.bucket, Key=dest, CopySource=copy_source)
        else:
            self.client.copy(copy_source, self.bucket, dest)  # multipart copy

    def put_bytes(self, data: bytes) -> StoredObject:
        return self.put_stream([data])

    def put_file(self, path: Path) -> StoredObject:
        return self.put_stream(file_chunks(path))

    def _exists_key(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                return False
            raise
        return True

    def exists(self, sha256: str) -> bool:
        return self._exists_key(self.key(sha256))

    def open(self, sha256: str) -> BinaryIO:
        """The object as a file that streams from the bucket (FileNotFoundError if absent)."""
        key = self.key(sha256)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                raise FileNotFoundError(f"object {sha256} is not in the store") from exc
            raise
        return io.BufferedReader(_ObjectReader(response["Body"]), buffer_size=CHUNK)

    def local_path(self, sha256: str) -> Path:
        """A file of the object on this host (from the cache, filled and verified if absent)."""
        cached = self.cache.path(sha256)
        if cached.is_file():
            ObjectCache._touch(cached)
            return cached
        return self.cache.get(sha256, self.open(sha256), f"s3://{self.bucket}/{self.key(sha256)}")

    def digests(self) -> Iterator[str]:
        """Every object's digest under the prefix, page by page (never the whole list at once)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                rest = item["Key"][len(self.prefix) :]
                head, _, tail = rest.partition("/")
                if len(head) == 2 and is_digest(head + tail):
                    yield head + tail

    def copy_to(self, sha256: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.local_path(sha256), dest)


def _client_from(settings: Settings, *, probe: bool = False) -> S3Client:
    """A boto3 client for the settings' S3 server (boto3 is imported only for s3:// stores)."""
    import boto3
    from botocore.config import Config

    secret = settings.s3_secret_access_key.get_secret_value()
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region or None,
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=secret or None,
        config=Config(
            # SeaweedFS and MinIO answer on one host name: the bucket in the path, not the host.
            s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
            retries={"mode": "standard", "max_attempts": 1 if probe else 5},
            connect_timeout=3 if probe else 10,
            read_timeout=5 if probe else 60,
        ),
    )


class _Multipart:
    """One multipart upload to a temporary key, started on its first part."""

    def __init__(self, client: S3Client, bucket: str, key: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.parts: list[dict[str, Any]] = []
        self.completed = False
        created = client.create_multipart_upload(Bucket=bucket, Key=key)
        self.upload_id = created["UploadId"]

    def send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def complete(self) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},  # type: ignore[typeddict-item]
        )
        self.completed = True

    def abort(self) -> None:
        """Drop the parts sent so far (and the key, if the upload had completed)."""
        if self.completed:
            return  # the finally of put_stream deletes the completed temporary key
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
        except Exception as exc:
            if not _missing(exc):
                raise
