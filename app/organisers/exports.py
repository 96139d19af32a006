"""Organisers' exports: boards and submissions as CSV or JSON, a phase's files as one zip.

Both tables name each team's members and their e-mail addresses (and each submission its
submitter): organisers export to write to the winners and to check who took part, and
these routes are theirs alone. A list is a JSON array, and one cell joined by "; " in CSV.

Submissions are read in pages by id and written row by row, so a challenge with
hundreds of thousands of submissions costs a page of memory, not the whole
table. The generators open their own session: a streamed body outlives the
request's session.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.models import Challenge, Phase
from app.core.store import CHUNK, Store
from app.leaderboard.boards import LIVE
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.views import board_rows
from app.submissions.models import Score, Submission
from app.teams.models import Membership, Team
from app.text.csv_cells import safe_cell

PAGE = 500
BASE_COLUMNS = (
    "id",
    "phase",
    "team_id",
    "team",
    "members",
    "member_emails",
    "user_id",
    "submitter",
    "submitter_email",
    "kind",
    "filename",
    "file_sha256",
    "status",
    "failure",
    "message",
    "created_at",
    "finished_at",
    "selected_final",
)


@dataclass(frozen=True)
class Table:
    """A header and rows of plain values: what both the CSV and the JSON writer take."""

    header: list[str]
    rows: Iterable[list[Any]]


@dataclass(frozen=True)
class People:
    """Who is in each team of a challenge, names and e-mails in the order they joined."""

    names: dict[int, list[str]]
    emails: dict[int, list[str]]


def people(session: Session, challenge_id: int) -> People:
    """One query for the whole challenge: members in the order they joined."""
    names: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    for team_id, name, email in session.exec(
        select(Membership.team_id, User.name, User.email)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.challenge_id == challenge_id)
        .order_by(col(Membership.joined_at), col(Membership.id))
    ).all():
        names.setdefault(team_id, []).append(name)
        emails.setdefault(team_id, []).append(email)
    return People(names, emails)


def leaderboard_table(session: Session, challenge: Challenge, phase: Phase, split: str) -> Table:
    """The live board (organisers see through a freeze); the private split is the final board."""
    assert challenge.id is not None
    spec = BoardSpec.from_config(challenge.config)
    keys = [c.key for c in spec.columns]
    rows = board_rows(session, challenge, phase, split, LIVE)
    who = people(session, challenge.id)
    return Table(
        [
            *("rank", "team_id", "team", "members", "member_emails"),
            *("submission_id", "submitted_at", *keys),
        ],
        [
            [
                r.rank,
                r.team_id,
                r.team_name,
                who.names.get(r.team_id, []),
                who.emails.get(r.team_id, []),
                r.submission_id,
                _iso(r.submitted_at),
                *(r.values.get(k) for k in keys),
            ]
            for r in rows
        ],
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def score_columns(session: Session, challenge_id: int) -> list[str]:
    """`public_<key>` and `private_<key>` for every key any current score of the challenge has."""
    pairs = session.exec(
        select(Score.split, Score.key)
        .join(Submission, col(Submission.id) == col(Score.submission_id))
        .where(col(Submission.challenge_id) == challenge_id, col(Score.current).is_(True))
        .distinct()
    ).all()
    return sorted(f"{split}_{key}" for split, key in pairs)


def submissions_table(engine: Engine, challenge_id: int) -> Table:
    with Session(engine) as session:
        scores = score_columns(session, challenge_id)
        who = people(session, challenge_id)
    return Table([*BASE_COLUMNS, *scores], _submission_rows(engine, challenge_id, scores, who))


def _submission_rows(
    engine: Engine, challenge_id: int, scores: list[str], who: People
) -> Iterator[list[Any]]:
    after = 0
    with Session(engine) as session:
        while True:
            page = session.exec(
                select(Submission, Team.name, Phase.name, User)
                .join(Team, col(Team.id) == col(Submission.team_id))
                .join(Phase, col(Phase.id) == col(Submission.phase_id))
                .join(User, col(User.id) == col(Submission.user_id), isouter=True)
                .where(col(Submission.challenge_id) == challenge_id, col(Submission.id) > after)
                .order_by(col(Submission.id))
                .limit(PAGE)
            ).all()
            if not page:
                return
            ids = [row[0].id for row in page]
            values: dict[int, dict[str, float]] = {}
            for score in session.exec(
                select(Score).where(col(Score.submission_id).in_(ids), col(Score.current).is_(True))
            ):
                values.setdefault(score.submission_id, {})[f"{score.split}_{score.key}"] = (
                    score.value
                )
            for sub, team, phase, submitter in page:
                assert sub.id is not None
                mine = values.get(sub.id, {})
                yield [
                    sub.id,
                    phase,
                    sub.team_id,
                    team,
                    who.names.get(sub.team_id, []),
                    who.emails.get(sub.team_id, []),
                    sub.user_id,
                    submitter.name if submitter is not None else None,
                    submitter.email if submitter is not None else None,
                    sub.kind,
                    sub.filename,
                    sub.file_sha256,
                    str(sub.status),
                    sub.failure,
                    sub.message,
                    _iso(sub.created_at),
                    _iso(sub.finished_at),
                    sub.selected_final,
                    *(mine.get(c) for c in scores),
                ]
            after = page[-1][0].id or after
            session.expunge_all()


def csv_chunks(table: Table, batch: int = 200) -> Iterator[str]:
    """The table as CSV text, a batch of rows per chunk; None is an empty cell.

    Text that a spreadsheet would run as a formula is neutralised (see app.text.csv_cells).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(v) for v in table.header])
    for count, row in enumerate(table.rows, start=1):
        writer.writerow([_cell(v) for v in row])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return safe_cell("; ".join(str(v) for v in value))
    return safe_cell(value)


def json_chunks(table: Table) -> Iterator[str]:
    """A JSON array of objects keyed by the header, one object per chunk (NaN becomes null)."""
    yield "["
    first = True
    for row in table.rows:
        item = {
            k: (None if isinstance(v, float) and v != v else v)
            for k, v in zip(table.header, row, strict=True)
        }
        yield ("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]\n"


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_part(name: str, fallback: str) -> str:
    """One path component for the archive: no separators, no `..`, nothing empty."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned[:100] or fallback


@dataclass(frozen=True)
class PhaseArchive:
    path: Path
    names: list[str]
    missing: list[int]


def phase_archive(session: Session, store: Store, phase_id: int, work_dir: Path) -> PhaseArchive:
    """Every submission file of the phase in a zip on disk, `<team>/<id>-<filename>`.

    Files absent from the store are listed in MISSING.txt inside the archive
    rather than failing the whole export.
    """
    rows = session.exec(
        select(Submission.id, Submission.file_sha256, Submission.filename, Team.name)
        .join(Team, col(Team.id) == col(Submission.team_id))
        .where(col(Submission.phase_id) == phase_id)
        .order_by(col(Submission.id))
    ).all()
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=work_dir)
    names: list[str] = []
    missing: list[int] = []
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for sub_id, sha256, filename, team in rows:
                assert sub_id is not None
                if not store.exists(sha256):
                    missing.append(sub_id)
                    continue
                arcname = (
                    f"{safe_part(team, 'team')}/{sub_id}-"
                    f"{safe_part(os.path.basename(filename), 'file')}"
                )
                with store.open(sha256) as src, zf.open(arcname, "w", force_zip64=True) as dst:
                    for chunk in iter(lambda: src.read(CHUNK), b""):
                        dst.write(chunk)
                names.append(arcname)
            if missing:
                zf.writestr(
                    "MISSING.txt",
                    "Submissions whose file is not in the store:\n"
                    + "".join(f"{i}\n" for i in missing),
                )
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return PhaseArchive(Path(name), names, missing)


def file_chunks(path: Path) -> Iterator[bytes]:
    """Reads the archive out and removes it, even when the client hangs up half way."""
    try:
        with path.open("rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")
    finally:
        path.unlink(missing_ok=True)


def phase_named(phases: Sequence[Phase], name: str | None) -> Phase | None:
    if not phases:
        return None
    if not name:
        return phases[0]
    return next((p for p in phases if p.name == name), None)
