"""A mixed challenge (a metric phase, then a project phase) with two teams, a judge, an owner.

Also the files the hostile-file tests send: each is made here from real bytes (Pillow for
the images, zipfile for the archives), so a check that only looked at names would fail.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from app.accounts.models import Role
from app.challenges.models import Challenge, Phase
from app.core.db import session_scope, utcnow
from app.jury.models import JudgeAssignment
from app.roles.models import RoleGrant, Scoped, Source
from app.teams.models import Membership, Team
from tests.app.web.web_helpers import BOARD, Person, challenge, engine_of, person, team_for

SLUG = "city-twin"
FORM = f"/challenges/{SLUG}/project"
GALLERY = f"/challenges/{SLUG}/projects"
PUBLISH = f"/organise/{SLUG}/projects/publish"
PROJECT = {
    "licences": ["EUPL-1.2", "MIT"],
    "files": {"max_files": 3, "max_mb": 1, "types": ["pdf", "png", "jpeg", "webp", "zip"]},
    "links": ["repository", "demo"],
    "gallery": "published",
    "reviews_per_project": 2,
}
CLEAN_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SCRIPT_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n"
    b"2 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n%%EOF\n"
)
# The same action with its name spelled through PDF's #xx escapes (#61 is "a").
ESCAPED_PDF = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript /JS (x) >> >> endobj\n%%EOF"
# The action inside a compressed object stream (PDF 1.5), where no byte of it is in the clear.
HIDDEN = zlib.compress(b"2 0 << /S /JavaScript /JS (app.alert(1)) >>")
STREAM_PDF = (
    b"%PDF-1.5\n1 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
    + HIDDEN
    + b"\nendstream\nendobj\n%%EOF\n"
)
LAUNCH_PDF = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (calc.exe) >> >> endobj\n%%EOF"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"


def png(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 50, 50)).save(out, format="JPEG")
    return out.getvalue()


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """Under 100 KB on the wire, 12 MB of zeros inside: past ten times the 1 MB file cap."""
    return zipped({"zeros.bin": bytes(12 * 1024 * 1024)})


@dataclass
class World:
    cid: int
    project_phase: int
    ada: Person  # captain of Delfini
    bea: Person  # Delfini, joined
    eve: Person  # captain of Balene
    solo: Person  # signed in, in no team
    boss: Person  # owner of the challenge
    jude: Person  # judge assigned to the challenge
    delfini: int
    balene: int


def build(client: TestClient, **project: Any) -> World:
    cid, _metric = challenge(client, SLUG)
    now = utcnow()
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.config = {**BOARD, "project": {**PROJECT, **project}, "time_zone": "Europe/Rome"}
        session.add(ch)
        phase = Phase(
            challenge_id=cid,
            name="prototype",
            position=1,
            title={"it": "Prototipo", "en": "Prototype"},
            kind="project",
            start=now - timedelta(days=1),
            end=now + timedelta(days=5),
        )
        session.add(phase)
        session.flush()
        assert phase.id is not None
        phase_id = phase.id
    ada = person(client, "ada@example.org", "Ada")
    bea = person(client, "bea@example.org", "Bea")
    eve = person(client, "eve@example.org", "Eve")
    solo = person(client, "solo@example.org", "Solo")
    boss = person(client, "boss@example.org", "Boss", Role.organiser)
    jude = person(client, "jude@example.org", "Jude", Role.judge)
    delfini = team_for(client, cid, ada, "Delfini")
    balene = team_for(client, cid, eve, "Balene")
    with session_scope(engine_of(client)) as session:
        session.add(Membership(team_id=delfini, user_id=bea.user_id, challenge_id=cid))
        session.add(JudgeAssignment(challenge_id=cid, user_id=jude.user_id))
        session.add(
            RoleGrant(
                email=boss.email,
                user_id=boss.user_id,
                role=Scoped.owner,
                challenge_id=cid,
                source=Source.web,
            )
        )
    return World(cid, phase_id, ada, bea, eve, solo, boss, jude, delfini, balene)


def form(who: Person, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "csrf_token": who.csrf(FORM),
        "title": "Gemello digitale del golfo",
        "summary": "Flood and landslide risk of the Gulf, street by street",
        "description": "## Come funziona\n\nUn modello *idraulico*.",
        "link_repository": "https://example.org/delfini/twin",
        "licence": "EUPL-1.2",
        "built_with": "Python, QGIS, python",
        "credited": [str(who.user_id)],
    }
    values.update(fields)
    return values


def save(who: Person, files: list[tuple[str, bytes, str]] | None = None, **fields: Any) -> Any:
    return who.client.post(
        FORM + "?lang=en",
        data=form(who, **fields),
        files=[("files", f) for f in files or []],
        follow_redirects=False,
    )


def end_phase(client: TestClient, world: World, *, hours_ago: float = 1) -> None:
    with session_scope(engine_of(client)) as session:
        phase = session.get(Phase, world.project_phase)
        assert phase is not None
        phase.end = utcnow() - timedelta(hours=hours_ago)
        session.add(phase)


def set_gallery(client: TestClient, mode: str) -> None:
    with session_scope(engine_of(client)) as session:
        ch = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        ch.config = {**ch.config, "project": {**ch.config["project"], "gallery": mode}}
        session.add(ch)


def project_id(client: TestClient, team_id: int) -> int:
    from app.projects.models import Project

    with session_scope(engine_of(client)) as session:
        found = session.exec(select(Project).where(Project.team_id == team_id)).one()
        assert found.id is not None
        return found.id


def team(client: TestClient, team_id: int) -> Team:
    with session_scope(engine_of(client)) as session:
        found = session.get(Team, team_id)
        assert found is not None
        return found
