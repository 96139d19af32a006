"""Builders for the organiser tests: bundles zipped from the repository's challenges."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from app.challenges.models import Phase
from app.core.db import session_scope
from app.submissions.models import Submission
from app.teams.models import Team
from tests.app.web.web_helpers import engine_of

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SEA = PROJECT_ROOT / "challenges" / "sea-surface-temperature"


def zip_folder(folder: Path, replace: dict[str, str] | None = None) -> bytes:
    """The folder as a zip in memory; `replace` swaps the text of some files (relative paths)."""
    replace = replace or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir() or "__pycache__" in rel:
                continue
            if rel in replace:
                archive.writestr(f"{folder.name}/{rel}", replace[rel])
            else:
                archive.write(path, f"{folder.name}/{rel}")
    return buffer.getvalue()


def queued_submission(site: TestClient, team_id: int, user_id: int, **fields: Any) -> int:
    """A submission row of the team in its challenge's first phase (queued unless told)."""
    with session_scope(engine_of(site)) as session:
        team = session.get(Team, team_id)
        assert team is not None
        phase = session.exec(select(Phase).where(Phase.challenge_id == team.challenge_id)).first()
        assert phase is not None and phase.id is not None
        submission = Submission(
            challenge_id=team.challenge_id,
            phase_id=phase.id,
            team_id=team_id,
            user_id=user_id,
            kind="predictions",
            file_sha256="a" * 64,
            filename="p.csv",
            size=1,
            **fields,
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None
        return submission.id
