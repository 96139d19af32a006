"""A project-only challenge (every phase `kind: project`) on the whole site.

It has no `scoring`, `leaderboard` or `judging.combine`: the bundle validates and loads, every
page that would show a board says that a jury judges it, and no file can be uploaded to its
phase, by the web form or the API (`marea submit` uses the API: see test_cli_project.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.accounts.models import Role
from app.bundles import validate_bundle
from app.bundles.load import load_into_db
from app.bundles.validate import BundleInvalid
from app.challenges.models import Challenge, Phase
from app.core.db import session_scope
from app.core.runtime import Runtime
from app.submissions.models import Submission
from tests.app.organisers.org_helpers import zip_folder
from tests.app.projects_only.project_helpers import BUNDLE, PHASE, SLUG, load_project
from tests.app.web.web_helpers import Person, engine_of, person

CSV = b"id,value\n1,0.5\n"
PROJECT_PAGE = f"/challenges/{SLUG}/project"
GALLERY = f"/challenges/{SLUG}/projects"
MIXED_FROM = Path(__file__).resolve().parents[2] / "bundles" / "fixtures" / "valid"
# A project phase after the metric ones, open now (until 2036), so an upload reaches the check.
MIXED_PHASE = """  - name: demo-day
    title: {it: "Giornata delle demo", en: "Demo day"}
    start: 2026-03-15T18:00:00+01:00
    end: 2036-03-20T18:00:00+01:00
    kind: project
"""


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_bundle_validates_without_scoring_leaderboard_or_combine() -> None:
    with validate_bundle(BUNDLE) as report:
        assert [str(e) for e in report.errors] == []
        challenge = report.challenge
        assert challenge is not None and challenge.project_only()
        assert challenge.scoring is None and challenge.leaderboard is None
        assert challenge.judging.combine is None
        assert challenge.project is not None and "EUPL-1.2" in challenge.project.licences


def test_a_metric_phase_brings_the_sections_back(tmp_path: Path) -> None:
    """The same bundle with its phase made `code` is refused, at that phase's `kind`."""
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    yaml = bundle / "challenge.yaml"
    text = yaml.read_text(encoding="utf-8")
    text = text.replace(
        "    kind: project\n", '    kind: code\n    code: {command: ["python3", "main.py"]}\n'
    )
    text = text.split("project:\n  licences")[0] + "judging:" + text.split("\njudging:", 1)[1]
    yaml.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "kind: code" in row)
    with validate_bundle(bundle) as report:
        messages = {(e.line, e.message) for e in report.errors}
    assert (
        line,
        "phases[0] (build) is a code phase but the bundle has no `scoring` section",
    ) in messages
    assert any("no `leaderboard` section" in m for _, m in messages)
    assert any("judging has no `combine`" in m for _, m in messages)
    assert len(messages) == 3, messages


def test_it_loads_and_stores_no_board(client: TestClient) -> None:
    outcome = load_project(client)
    assert outcome.action == "created" and outcome.published
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        assert challenge.config["leaderboard"] is None and challenge.config["scoring"] is None
        phase = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).one()
        assert (phase.name, phase.kind) == (PHASE, "project")


def test_a_metric_bundle_without_scoring_is_not_loaded(client: TestClient, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    yaml = bundle / "challenge.yaml"
    text = yaml.read_text(encoding="utf-8").replace("kind: project", "kind: predictions")
    yaml.write_text(
        text.split("project:\n  licences")[0] + "judging:" + text.split("\njudging:", 1)[1]
    )
    app = client.app
    runtime = Runtime(app.state.settings, engine_of(client), app.state.store)  # type: ignore[attr-defined]
    with pytest.raises(BundleInvalid) as refused:
        load_into_db(runtime, bundle, publish=True)
    assert any("no `scoring` section" in e.message for e in refused.value.report.errors)
    with session_scope(engine_of(client)) as session:
        assert session.exec(select(func.count()).select_from(Challenge)).one() == 0


def test_the_pages_say_a_jury_judges_it(client: TestClient) -> None:
    load_project(client)
    ada = person(client, "ada@example.org", "Ada")
    overview = ada.client.get(f"/challenges/{SLUG}?lang=en")
    assert overview.status_code == 200
    assert "A jury judges this challenge" in overview.text
    assert f'href="{PROJECT_PAGE}"' in overview.text and f'href="{GALLERY}"' in overview.text
    assert f"/challenges/{SLUG}/submit" not in overview.text, "no upload button"
    for lang, words in (
        ("en", "A jury judges this challenge: there is no leaderboard."),
        ("it", "Questa sfida è giudicata da una giuria: non ha una classifica."),
    ):
        board = client.get(f"/challenges/{SLUG}/leaderboard?lang={lang}")
        assert board.status_code == 200, board.text
        assert words in _flat(board.text)
        assert f'href="{GALLERY}"' in board.text
        assert 'id="board"' not in board.text, "no empty table"
    submit = ada.client.get(f"/challenges/{SLUG}/submit?lang=en")
    assert submit.status_code == 200
    assert "This phase takes a project, not a file" in submit.text
    assert f'href="{PROJECT_PAGE}"' in submit.text and 'id="submit-form"' not in submit.text
    italian = ada.client.get(f"/challenges/{SLUG}/submit?lang=it").text
    assert "Questa fase accetta un progetto, non un file" in italian
    for path in ("submissions", "team", "questions"):
        assert ada.client.get(f"/challenges/{SLUG}/{path}").status_code == 200, path
    assert client.get(f"/api/v1/challenges/{SLUG}/leaderboard").json()["rows"] == []


def test_the_api_detail_has_a_null_leaderboard(client: TestClient) -> None:
    load_project(client)
    detail = client.get(f"/api/v1/challenges/{SLUG}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["leaderboard"] is None
    assert [p["kind"] for p in body["phases"]] == ["project"]
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["ChallengeDetailOut"]
    board = schema["properties"]["leaderboard"]
    assert "null for a project-only challenge" in board["description"]
    assert {"type": "null"} in board["anyOf"]


def _organiser_and_judge(client: TestClient) -> tuple[Person, Person]:
    admin = person(client, "admin@example.org", "Admin", Role.admin)
    judge = person(client, "judge@example.org", "Judge", Role.judge)
    path = f"/organise/{SLUG}/judges"
    assigned = admin.client.post(
        path, data={"email": judge.email, "csrf_token": admin.csrf(path)}, follow_redirects=False
    )
    assert assigned.status_code == 303, assigned.text
    return admin, judge


def test_the_organisers_see_no_freeze_or_reveal(client: TestClient) -> None:
    load_project(client)
    admin, _ = _organiser_and_judge(client)
    page = admin.client.get(f"/organise/{SLUG}?lang=en")
    assert page.status_code == 200
    assert (
        "a jury judges its projects, so there is no board to freeze, reveal or export" in page.text
    )
    assert f"/organise/{SLUG}/freeze" not in page.text
    assert f"/organise/{SLUG}/reveal" not in page.text
    assert "leaderboard.csv" not in page.text
    assert admin.client.get("/organise/dashboard?lang=en").status_code == 200
    for path in ("teams", "submissions", "ranking", "judges", "rescores"):
        assert admin.client.get(f"/organise/{SLUG}/{path}").status_code == 200, path
    export = admin.client.get(f"/organise/{SLUG}/export/leaderboard.csv?lang=en")
    assert export.status_code == 409 and "no board to freeze, reveal or export" in export.text
    assert admin.client.get(f"/organise/{SLUG}/export/submissions.csv").status_code == 200
    confirm = admin.client.get(f"/organise/{SLUG}/reveal?lang=en")
    assert confirm.status_code == 409
    assert "no board to freeze, reveal or export" in confirm.text
    token = admin.csrf(f"/organise/{SLUG}")
    for action, fields in (("freeze", {}), ("reveal", {"confirm": "yes", "early": "yes"})):
        refused = admin.client.post(
            f"/organise/{SLUG}/{action}?lang=en", data={"csrf_token": token, **fields}
        )
        assert refused.status_code == 409, action
        assert "no board to freeze, reveal or export" in refused.text
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        assert challenge.frozen_at is None and not challenge.private_revealed


def test_the_judge_page_says_projects_are_reviewed(client: TestClient) -> None:
    load_project(client)
    _, judge = _organiser_and_judge(client)
    page = judge.client.get(f"/judge/{SLUG}?lang=en")
    assert page.status_code == 200
    assert "you review the teams' projects with the rubric" in page.text
    assert f'href="{GALLERY}"' in page.text
    assert judge.client.get(f"/judge/{SLUG}/ranking").status_code == 200


def test_an_upload_to_the_project_phase_is_refused(
    client: TestClient, redis_15: redis.Redis
) -> None:
    load_project(client)
    ada = person(client, "ada@example.org", "Ada")
    made = ada.client.post(
        f"/api/v1/challenges/{SLUG}/teams", json={"name": "Delfini"}, headers=ada.bearer()
    )
    assert made.status_code == 201, made.text
    api = client.post(
        f"/api/v1/challenges/{SLUG}/submissions?lang=en",
        files={"file": ("preds.csv", CSV, "text/csv")},
        headers=ada.bearer(),
    )
    assert api.status_code == 409, api.text
    error = api.json()["error"]
    assert error["code"] == "project_phase"
    assert "takes a project, not a file" in error["message"] and PROJECT_PAGE in error["message"]
    named = client.post(
        f"/api/v1/challenges/{SLUG}/submissions?phase={PHASE}",
        files={"file": ("main.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip")},
        headers=ada.bearer(),
    )
    assert named.status_code == 409 and named.json()["error"]["code"] == "project_phase"
    web = ada.client.post(
        f"/challenges/{SLUG}/submit?lang=en",
        data={"csrf_token": ada.csrf(f"/challenges/{SLUG}/submit")},
        files={"file": ("preds.csv", CSV, "text/csv")},
        follow_redirects=False,
    )
    assert web.status_code == 409, web.text
    assert "takes a project, not a file" in web.text and PROJECT_PAGE in web.text
    with session_scope(engine_of(client)) as session:
        assert session.exec(select(func.count()).select_from(Submission)).one() == 0
    queue_name = client.app.state.settings.queue_name  # type: ignore[attr-defined]
    assert redis_15.llen(f"rq:queue:{queue_name}") == 0, "nothing was queued"


def test_an_organiser_uploads_it_on_the_web(client: TestClient) -> None:
    """The organiser upload stores it as a draft, and publishing shows its jury note."""
    org = person(client, "org@example.org", "Olga Organiser", Role.organiser)
    uploaded = org.client.post(
        "/organise/upload",
        data={"csrf_token": org.csrf("/organise")},
        files={"bundle": ("bundle.zip", zip_folder(BUNDLE), "application/zip")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"] == f"/organise/{SLUG}"
    dashboard = org.client.get(f"/organise/{SLUG}?lang=en")
    assert dashboard.status_code == 200 and "no board to freeze, reveal or export" in dashboard.text
    published = org.client.post(
        f"/organise/{SLUG}/publish",
        data={"csrf_token": org.csrf("/organise")},
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert client.get(f"/api/v1/challenges/{SLUG}").json()["leaderboard"] is None


def test_a_mixed_challenge_keeps_its_board_and_refuses_uploads_to_its_project_phase(
    client: TestClient, tmp_path: Path
) -> None:
    """Metric phases keep their board; the project phase's board tab says a jury judges it."""
    bundle = tmp_path / "mixed"
    shutil.copytree(MIXED_FROM, bundle)
    yaml = bundle / "challenge.yaml"
    text = yaml.read_text(encoding="utf-8").replace("teams: {", MIXED_PHASE + "teams: {", 1)
    yaml.write_text(text + "project: {licences: [EUPL-1.2]}\n", encoding="utf-8")
    app = client.app
    runtime = Runtime(app.state.settings, engine_of(client), app.state.store)  # type: ignore[attr-defined]
    load_into_db(runtime, bundle, publish=True)
    slug = "harbour-wave-height"
    metric = client.get(f"/challenges/{slug}/leaderboard?phase=final&lang=en")
    assert metric.status_code == 200 and 'id="board"' in metric.text
    assert "A jury judges" not in metric.text
    judged = client.get(f"/challenges/{slug}/leaderboard?phase=demo-day&lang=en")
    assert judged.status_code == 200 and "A jury judges this challenge" in judged.text
    assert 'id="board"' not in judged.text
    assert client.get(f"/api/v1/challenges/{slug}").json()["leaderboard"]["rank_by"] == "rmse"
    ada = person(client, "ada@example.org", "Ada")
    made = ada.client.post(
        f"/api/v1/challenges/{slug}/teams", json={"name": "Delfini"}, headers=ada.bearer()
    )
    assert made.status_code == 201, made.text
    refused = client.post(
        f"/api/v1/challenges/{slug}/submissions?phase=demo-day",
        files={"file": ("preds.csv", CSV, "text/csv")},
        headers=ada.bearer(),
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "project_phase"
    assert f"/challenges/{slug}/project" in refused.json()["error"]["message"]
