"""A challenge's hidden files, laid out once per bundle version on each worker host."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from app.challenges.models import Challenge, DataFile
from app.core.store import Store
from app.queue.judge_request import ROLES_FOR_JUDGING, ChallengeDirs, FileSource, materialise


def challenge_dirs(
    session: Session, store: Store, challenge: Challenge, work_dir: Path
) -> ChallengeDirs:
    rows = session.exec(
        select(DataFile).where(
            DataFile.challenge_id == challenge.id, col(DataFile.role).in_(ROLES_FOR_JUDGING)
        )
    ).all()
    files = [FileSource(r.role, r.path, store.local_path(r.sha256)) for r in rows]
    return materialise(files, work_dir / "challenges" / challenge.bundle_sha256)
