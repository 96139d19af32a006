"""A site whose MAREA_STORE_URL is a bucket: an upload through the web app lands in the bucket
(under the site's prefix, named by its sha256) and nothing of it stays on the web's disk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from app.challenges.models import DataFile
from app.core.db import session_scope
from app.core.s3store import S3Store
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.app.web.web_helpers import challenge, engine_of, person, team_for
from tests.redis_urls import redis_url
from tests.s3_server import new_bucket, s3_client, s3_env

CSV = b"id,value\n1,0.5\n2,0.7\n"
QUEUE = "marea-s3-site-tests"
MiB = 1024 * 1024


@pytest.fixture
def bucket() -> str:
    return new_bucket()


@pytest.fixture
def s3_site(tmp_path: Path, bucket: str) -> Iterator[TestClient]:
    env = s3_env(bucket, "city")
    settings = Settings(
        data_dir=tmp_path / "var",
        redis_url=redis_url(15),
        base_url=APP_URL,
        queue_name=QUEUE,
        store_url=env["MAREA_STORE_URL"],
        s3_endpoint_url=env["MAREA_S3_ENDPOINT_URL"],
        s3_access_key_id=env["MAREA_S3_ACCESS_KEY_ID"],
        s3_secret_access_key=env["MAREA_S3_SECRET_ACCESS_KEY"],  # type: ignore[arg-type]
    )
    queue = redis.Redis.from_url(redis_url(15))
    queue.delete(f"rq:queue:{QUEUE}")
    with TestClient(create_app(settings), base_url=APP_URL) as client:
        yield client
    queue.delete(f"rq:queue:{QUEUE}")
    queue.close()


def test_an_uploaded_submission_is_kept_in_the_bucket_not_on_disk(
    s3_site: TestClient, bucket: str, tmp_path: Path
) -> None:
    store = s3_site.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, S3Store)
    cid, _ = challenge(s3_site)
    ada = person(s3_site, "ada@example.org", "Ada")
    team_for(s3_site, cid, ada, "Delfini")
    response = s3_site.post(
        "/api/v1/challenges/sea-temp/submissions",
        files={"file": ("preds.csv", CSV, "text/csv")},
        data={"description": "first try"},
        headers=ada.bearer(),
    )
    assert response.status_code == 201, response.text
    sha = response.json()["sha256"]
    assert sha == hashlib.sha256(CSV).hexdigest()

    listed = s3_client().list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == [f"city/{sha[:2]}/{sha[2:]}"]
    body = s3_client().get_object(Bucket=bucket, Key=f"city/{sha[:2]}/{sha[2:]}")["Body"]
    assert body.read() == CSV
    # Nothing on the web's disk: no folder store, the upload's spool file gone, no cached copy.
    on_disk = [p for p in (tmp_path / "var").rglob("*") if p.is_file()]
    assert not [p for p in on_disk if CSV in p.read_bytes()], on_disk
    assert not (tmp_path / "var" / "store").exists()


def test_a_public_file_is_streamed_from_the_bucket(s3_site: TestClient, tmp_path: Path) -> None:
    store = s3_site.app.state.store  # type: ignore[attr-defined]
    data = bytes(range(256)) * (40 * 1024 + 3)  # about 10 MiB: a multipart write, then a read
    obj = store.put_stream(data[i : i + 65536] for i in range(0, len(data), 65536))
    cid, _ = challenge(s3_site)
    with session_scope(engine_of(s3_site)) as session:
        session.add(
            DataFile(
                challenge_id=cid,
                role="public",
                path="data/big.bin",
                sha256=obj.sha256,
                size=obj.size,
                description={},
            )
        )
    response = s3_site.get("/challenges/sea-temp/files/data/big.bin")
    assert response.status_code == 200
    assert response.headers["X-Content-SHA256"] == obj.sha256
    assert response.content == data
    assert not [p for p in (tmp_path / "var").rglob("*") if p.is_file() and p.stat().st_size > MiB]
