"""Organisers' exports: boards and submissions as CSV/JSON, a phase's files as a zip."""

from __future__ import annotations

import csv
import io
import zipfile

from fastapi.testclient import TestClient
from sqlmodel import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.challenges.models import Challenge, Phase
from app.core.db import session_scope, utcnow
from app.core.store import LocalStore
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.submissions.models import Score, Submission
from app.teams.models import Membership, Team
from tests.app.organisers.org_helpers import queued_submission
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for

SCORES = {"Delfini": {"rmse": 0.5, "mae": 0.25}, "Orche": {"rmse": 0.75, "mae": 0.125}}


def _submission(site: TestClient, team: int, user: int, **fields: object) -> int:
    """A submission row with its own file fields (the shared builder fixes them)."""
    sub_id = queued_submission(site, team, user)
    with session_scope(engine_of(site)) as session:
        sub = session.get(Submission, sub_id)
        assert sub is not None
        for key, value in fields.items():
            setattr(sub, key, value)
        session.add(sub)
    return sub_id


def _seed(site: TestClient) -> tuple[Person, dict[int, tuple[str, bytes]]]:
    """Two scored teams, one failed submission and a second phase's file; returns the files."""
    cid, pid = challenge(site)
    store: LocalStore = site.app.state.store  # type: ignore[attr-defined]
    files: dict[int, tuple[str, bytes]] = {}
    for name, values in SCORES.items():
        owner = person(site, f"{name.lower()}@example.org", name)
        team = team_for(site, cid, owner, name)
        data = f"id,y\n1,{values['rmse']}\n".encode()
        sub = _submission(
            site,
            team,
            owner.user_id,
            status="scored",
            filename="preds.csv",
            file_sha256=store.put_bytes(data).sha256,
        )
        files[sub] = (f"{name}/{sub}-preds.csv", data)
        failed = _submission(
            site,
            team,
            owner.user_id,
            status="failed",
            failure="bad_output",
            file_sha256=store.put_bytes(b"broken " + name.encode()).sha256,
            filename="x.csv",
        )
        files[failed] = (f"{name}/{failed}-x.csv", b"broken " + name.encode())
        with session_scope(engine_of(site)) as session:
            ch = session.get(Challenge, cid)
            assert ch is not None
            for split, scale in (("public", 1.0), ("private", 2.0)):
                scaled = {k: v * scale for k, v in values.items()}
                for key, value in scaled.items():
                    session.add(Score(submission_id=sub, split=split, key=key, value=value))
                offer(
                    session,
                    BoardSpec.from_config(ch.config),
                    phase_id=pid,
                    team_id=team,
                    split=split,
                    submission_id=sub,
                    submitted_at=utcnow(),
                    values=scaled,
                )
                session.add(
                    Score(
                        submission_id=sub,
                        version=0,
                        current=False,
                        split=split,
                        key="rmse",
                        value=99.0,
                    )
                )
    with session_scope(engine_of(site)) as session:
        other = Phase(
            challenge_id=cid,
            name="final",
            position=1,
            title={},
            kind="predictions",
            start=utcnow(),
            end=utcnow(),
        )
        session.add(other)
        session.flush()
        assert other.id is not None
    org = person(site, "org@example.org", "Org", Role.organiser)
    return org, files


def test_leaderboard_csv_and_json_match_the_board(site: TestClient) -> None:
    org, _files = _seed(site)
    rows = list(
        csv.DictReader(
            io.StringIO(
                org.client.get("/organise/sea-temp/export/leaderboard.csv?phase=development").text
            )
        )
    )
    assert [(r["rank"], r["team"], float(r["rmse"]), float(r["mae"])) for r in rows] == [
        ("1", "Delfini", 0.5, 0.25),
        ("2", "Orche", 0.75, 0.125),
    ]
    response = org.client.get("/organise/sea-temp/export/leaderboard.json?split=private")
    assert response.status_code == 200
    assert [(r["team"], r["rmse"]) for r in response.json()] == [("Delfini", 1.0), ("Orche", 1.5)]
    assert org.client.get("/organise/sea-temp/export/leaderboard.csv?split=x").status_code == 400
    with session_scope(engine_of(site)) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("export.leaderboard") == 2


def test_submissions_csv_and_json_carry_status_failure_and_current_scores(site: TestClient) -> None:
    org, files = _seed(site)
    text = org.client.get("/organise/sea-temp/export/submissions.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(int(r["id"]) for r in rows) == sorted(files)
    for row in rows:
        if row["status"] == "scored":
            values = SCORES[row["team"]]
            assert float(row["public_rmse"]) == values["rmse"]  # not the old version's 99
            assert float(row["private_mae"]) == values["mae"] * 2
        else:
            assert row["status"] == "failed" and row["failure"] == "bad_output"
            assert row["public_rmse"] == ""
    as_json = org.client.get("/organise/sea-temp/export/submissions.json").json()
    assert {r["id"]: r["status"] for r in as_json} == {int(r["id"]): r["status"] for r in rows}
    assert all(r["public_rmse"] is None for r in as_json if r["status"] == "failed")


def test_phase_zip_holds_exactly_the_phase_files(site: TestClient) -> None:
    org, files = _seed(site)
    response = org.client.get("/organise/sea-temp/export/submissions.zip?phase=development")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        got = {name: archive.read(name) for name in archive.namelist()}
    assert got == dict(files.values())
    empty = org.client.get("/organise/sea-temp/export/submissions.zip?phase=final")
    with zipfile.ZipFile(io.BytesIO(empty.content)) as archive:
        assert archive.namelist() == []
    assert org.client.get("/organise/sea-temp/export/submissions.zip?phase=nope").status_code == 404


def test_exports_name_members_and_their_emails(site: TestClient) -> None:
    org, _files = _seed(site)
    with session_scope(engine_of(site)) as session:
        delfini = session.exec(select(Team).where(Team.name == "Delfini")).one()
        assert delfini.id is not None
        friend = person(site, "=friend@example.org", "Flipper")
        session.add(
            Membership(
                team_id=delfini.id, user_id=friend.user_id, challenge_id=delfini.challenge_id
            )
        )
    board = list(
        csv.DictReader(
            io.StringIO(org.client.get("/organise/sea-temp/export/leaderboard.csv").text)
        )
    )
    assert [(r["team"], r["members"], r["member_emails"]) for r in board] == [
        ("Delfini", "Delfini; Flipper", "delfini@example.org; =friend@example.org"),
        ("Orche", "Orche", "orche@example.org"),
    ]
    as_json = org.client.get("/organise/sea-temp/export/leaderboard.json").json()
    assert as_json[0]["member_emails"] == ["delfini@example.org", "=friend@example.org"]
    rows = list(
        csv.DictReader(
            io.StringIO(org.client.get("/organise/sea-temp/export/submissions.csv").text)
        )
    )
    assert {(r["team"], r["submitter"], r["submitter_email"], r["members"]) for r in rows} == {
        ("Delfini", "Delfini", "delfini@example.org", "Delfini; Flipper"),
        ("Orche", "Orche", "orche@example.org", "Orche"),
    }
    only_friend = org.client.get("/organise/sea-temp/export/submissions.json").json()
    assert all(
        "=friend@example.org" in r["member_emails"] for r in only_friend if r["team"] == "Delfini"
    )
    participant = person(site, "nosy@example.org", "Nosy")
    assert participant.client.get("/organise/sea-temp/export/submissions.csv").status_code == 403
