"""A worker whose store is a bucket lays out a challenge's hidden files from its local cache:
downloaded once per host, verified, and still whole in the job's folder after eviction."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import Session

from app.challenges.models import DataFile
from app.core.db import make_engine, migrate
from app.core.s3store import S3Store
from app.queue.challenge_files import challenge_dirs
from tests.app.store.conftest import make_s3_store
from tests.factories import make_challenge


def test_a_challenge_s_files_come_from_the_bucket_through_the_cache(tmp_path: Path) -> None:
    backend = make_s3_store(tmp_path, cache_bytes=10)  # smaller than any one file
    store = backend.store
    assert isinstance(store, S3Store)
    answers = store.put_bytes(b"id,value\n1,0.5\n")
    scorer = store.put_bytes(b"print('score')\n")
    engine = make_engine(f"sqlite:///{tmp_path / 'marea.db'}")
    migrate(engine)
    with Session(engine) as session:
        challenge, _ = make_challenge(session)
        assert challenge.id is not None
        for role, path, obj in (
            ("reference", "answers/test.csv", answers),
            ("scoring", "score.py", scorer),
        ):
            session.add(
                DataFile(
                    challenge_id=challenge.id,
                    role=role,
                    path=path,
                    sha256=obj.sha256,
                    size=obj.size,
                    description={},
                )
            )
        session.commit()
        dirs = challenge_dirs(session, store, challenge, tmp_path / "work")
    engine.dispose()
    assert (dirs.reference / "test.csv").read_bytes() == b"id,value\n1,0.5\n"
    assert (dirs.scoring / "score.py").read_bytes() == b"print('score')\n"
    # Over its cap, the copies just handed out stay (the job links them after asking for all)
    # until they are no longer recent; then they go, and the job's own tree is unaffected.
    assert len(store.cache.entries()) == 2
    for _, _, path in store.cache.entries():
        os.utime(path, (1000, 1000))
    store.cache.evict()
    assert store.cache.entries() == []
    assert (dirs.reference / "test.csv").read_bytes() == b"id,value\n1,0.5\n"
    assert not list(store.spool_dir.iterdir())
