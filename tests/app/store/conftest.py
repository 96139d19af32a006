"""The two stores side by side, each with a way to look behind it (files, or bucket keys)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.s3store import ObjectCache, S3Store
from app.core.settings import BucketLocation
from app.core.store import LocalStore, Store
from tests.s3_server import new_bucket, s3_client


@dataclass
class Backend:
    """A store and what is really kept behind it: finished objects, and anything half-written."""

    store: Store
    s3: Any = None
    bucket: str = ""
    prefix: str = ""
    root: Path | None = None

    def objects(self) -> list[str]:
        if self.root is not None:
            return sorted(
                str(p.relative_to(self.root))
                for p in self.root.rglob("*")
                if p.is_file() and p.relative_to(self.root).parts[0] != "tmp"
            )
        return [k for k in self.keys() if not k.startswith(f"{self.prefix}tmp/")]

    def leftovers(self) -> list[str]:
        """Temporary files or keys, and unfinished multipart uploads."""
        if self.root is not None:
            return [str(p) for p in (self.root / "tmp").rglob("*") if p.is_file()]
        temp = [k for k in self.keys() if k.startswith(f"{self.prefix}tmp/")]
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return temp + [u["Key"] for u in uploads]

    def keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))


def make_s3_store(tmp_path: Path, cache_bytes: int = 1 << 30, **kwargs: Any) -> Backend:
    bucket = new_bucket()
    client = s3_client()
    location = BucketLocation(bucket, "site/")
    store = S3Store(
        lambda: client, location, ObjectCache(tmp_path / "cache", cache_bytes), **kwargs
    )
    return Backend(store, s3=client, bucket=bucket, prefix="site/")


@pytest.fixture(params=["folder", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "folder":
        yield Backend(LocalStore(tmp_path / "store"), root=tmp_path / "store")
    else:
        yield make_s3_store(tmp_path)
