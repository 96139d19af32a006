"""Downloads of a challenge's public files and starter kit; hidden files are never served.

Only rows whose role is `public` or `starter` can be reached, whatever the path
asked for: reference data, test inputs and scoring programs have no route.

The starter-kit zip is laid out so that its README's commands work where it is
unpacked: the kit folder's files sit at the top of the kit, the public data at
their bundle paths beside them (`starter.py` next to `data/train.csv`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from sqlmodel import col, select

from app.challenges.models import DataFile
from app.challenges.web import PublishedChallenge
from app.core.store import CHUNK, Store
from app.text.attachment import attachment
from app.web.deps import SessionDep, StoreDep

router = APIRouter(tags=["challenges"])

DOWNLOADABLE = ("public", "starter")


def _stream(store: Store, sha256: str) -> Iterator[bytes]:
    with store.open(sha256) as fh:
        yield from iter(lambda: fh.read(CHUNK), b"")


def kit_name(path: str, role: str, starter_kit: Any) -> str:
    """Where a file goes inside the kit: starter files lose the kit folder's own prefix.

    Without this the kit unpacks as `starter/starter.py` beside `data/`, and the README's
    `python3 starter.py` (which reads `data/train.csv`) fails wherever it is run.
    """
    if role != "starter" or not isinstance(starter_kit, str):
        return path
    kit = PurePosixPath(starter_kit.strip("/"))
    file = PurePosixPath(path)
    if str(kit) in ("", "."):
        return path
    if file == kit:  # a single-file kit
        return file.name
    if kit in file.parents:
        return file.relative_to(kit).as_posix()
    return path


def kit_layout(rows: Sequence[DataFile], starter_kit: Any) -> list[tuple[str, DataFile]]:
    """Each file's name inside the kit; public data win a clash, being what the data page lists."""
    layout: list[tuple[str, DataFile]] = []
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: (r.role != "public", r.path)):
        name = kit_name(row.path, row.role, starter_kit)
        if name not in seen:
            seen.add(name)
            layout.append((name, row))
    return layout


@router.get("/challenges/{slug}/files/{path:path}", name="challenge_file")
def download_file(
    challenge: PublishedChallenge, path: str, session: SessionDep, store: StoreDep
) -> StreamingResponse:
    """One public data file, byte for byte what its sha256 on the data page says."""
    row = session.exec(
        select(DataFile).where(
            DataFile.challenge_id == challenge.id, DataFile.role == "public", DataFile.path == path
        )
    ).first()
    if row is None:
        raise HTTPException(404, f"{path!r} is not a public file of this challenge.")
    name = PurePosixPath(row.path).name
    return StreamingResponse(
        _stream(store, row.sha256),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": attachment(name),
            "Content-Length": str(row.size),
            "X-Content-SHA256": row.sha256,
        },
    )


@router.get("/challenges/{slug}/starter-kit.zip", name="starter_kit")
def download_starter_kit(
    challenge: PublishedChallenge, session: SessionDep, store: StoreDep
) -> StreamingResponse:
    """The starter kit and the public data as one zip, ready to unpack and run."""
    rows = session.exec(
        select(DataFile)
        .where(DataFile.challenge_id == challenge.id, col(DataFile.role).in_(DOWNLOADABLE))
        .order_by(col(DataFile.role), col(DataFile.path))
    ).all()
    if not rows:
        raise HTTPException(404, "This challenge has no starter kit or public files.")
    buffer = io.BytesIO()  # kits are small (the bundle caps them); built in memory, then sent
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, row in kit_layout(rows, challenge.config.get("starter_kit")):
            with store.open(row.sha256) as fh:
                archive.writestr(f"{challenge.slug}/{name}", fh.read())
    buffer.seek(0)
    return StreamingResponse(
        iter([buffer.getvalue()]),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{challenge.slug}-starter-kit.zip"'},
    )
