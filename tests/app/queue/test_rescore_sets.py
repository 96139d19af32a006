"""Rescore sets with real workers: judged again, reviewed old beside new, then applied or discarded.

The organiser drives everything through the site (TestClient on the same
database and Redis as the workers); the board is read through the public JSON
API of a fresh app each time, so no cache can hide a change.
"""

from __future__ import annotations

import csv
import math
import re
import signal
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.main import create_app
from app.models import Score, SubmissionEvent
from app.rescoring.models import RescoreItem
from app.submissions.models import Status
from tests.app.accounts.helpers import APP_URL
from tests.app.queue.conftest import SLOW_PROGRAM, VALID_BUNDLE, Stack, make_bundle
from tests.app.web.web_helpers import Person, person

BASELINE = VALID_BUNDLE / "baseline" / "predictions.csv"


def _site(stack: Stack) -> TestClient:
    settings = stack.runtime.settings.model_copy(update={"base_url": APP_URL})
    return TestClient(create_app(settings, run_migrations=False), base_url=APP_URL)


def _board(stack: Stack, slug: str) -> dict[str, float]:
    """Team name -> public RMSE, from the public API of a fresh app (nothing cached)."""
    response = _site(stack).get(f"/api/v1/challenges/{slug}/leaderboard")
    assert response.status_code == 200, response.text
    return {row["team"]["name"]: row["scores"]["rmse"] for row in response.json()["rows"]}


def _rmse(predictions: Path, answers: Path, split: str = "public") -> float:
    """Recomputed here, independently of the scorer."""
    truth = {r["id"]: float(r["wave_height"]) for r in csv.DictReader(answers.open())
             if r["split"] == split}  # fmt: skip
    guess = {r["id"]: float(r["wave_height"]) for r in csv.DictReader(predictions.open())}
    return math.sqrt(sum((guess[k] - v) ** 2 for k, v in truth.items()) / len(truth))


def _constant_predictions(path: Path, value: float) -> Path:
    rows = list(csv.DictReader(BASELINE.open()))
    with path.open("w") as fh:
        fh.write("id,wave_height\n")
        for row in rows:
            fh.write(f"{row['id']},{value}\n")
    return path


def _shift_answers(bundle: Path, delta: float) -> None:
    """A corrected answer file: the new bundle version that makes rescoring necessary."""
    answers = bundle / "reference" / "answers.csv"
    rows = list(csv.DictReader(answers.open()))
    with answers.open("w") as fh:
        fh.write("id,wave_height,split\n")
        for row in rows:
            fh.write(f"{row['id']},{float(row['wave_height']) + delta:.2f},{row['split']}\n")


def _organiser(stack: Stack) -> Person:
    who = person(_site(stack), "org@example.org", "Orsola", Role.organiser)
    who.client.headers["Accept-Language"] = "en"  # the assertions read the English pages
    return who


def _post(who: Person, page: str, action: str, data: dict[str, str] | None = None) -> object:
    token = who.csrf(page)
    return who.client.post(
        action, data={**(data or {}), "csrf_token": token}, follow_redirects=False
    )


def _set_id(response: object) -> int:
    location = response.headers["location"]  # type: ignore[attr-defined]
    match = re.search(r"/rescores/(\d+)$", location)
    assert match, location
    return int(match.group(1))


def _wait_ready(stack: Stack, organiser: Person, slug: str, set_id: int, timeout: float) -> None:
    def ready() -> bool:
        progress = organiser.client.get(f"/organise/{slug}/rescores/{set_id}/progress").json()
        return bool(progress["status"] == "ready")

    stack.wait_for(ready, timeout, f"rescore set {set_id} to be judged", poll=0.3)


def _scored_pair(stack: Stack, tmp_path: Path) -> tuple[str, Path, int, int]:
    bundle = make_bundle(tmp_path / "bundle")
    challenge = stack.load(bundle)
    aurora, borea = stack.team(challenge, "Aurora"), stack.team(challenge, "Borea")
    good = stack.submit(challenge, aurora, BASELINE)
    flat = stack.submit(challenge, borea, _constant_predictions(tmp_path / "flat.csv", 1.3))
    stack.start_worker()
    stack.dispatch()
    for sid in (good, flat):
        stack.wait_for(lambda s=sid: stack.submission(s).status == Status.scored, 60, "scoring")
    return challenge.slug, bundle, good, flat


def test_a_phase_is_judged_again_reviewed_and_only_then_replaces_the_board(
    stack: Stack, tmp_path: Path
) -> None:
    slug, bundle, good, flat = _scored_pair(stack, tmp_path)
    answers = bundle / "reference" / "answers.csv"
    old_good, old_flat = _rmse(BASELINE, answers), _rmse(tmp_path / "flat.csv", answers)
    before = _board(stack, slug)
    assert before == {"Aurora": round(old_good, 3), "Borea": round(old_flat, 3)}

    _shift_answers(bundle, 0.25)  # the organisers correct their answers: bundle version 2
    stack.load(bundle)
    organiser = _organiser(stack)
    page = f"/organise/{slug}/rescores"
    started = _post(organiser, page, page, {"phase": "development", "reason": "answers fixed"})
    assert started.status_code == 303  # type: ignore[attr-defined]
    set_id = _set_id(started)

    # A second set of the same phase while this one is open is refused, with the way out.
    again = _post(organiser, page, page, {"phase": "development"})
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert f"Rescore set {set_id}" in again.text and "apply or discard" in again.text  # type: ignore[attr-defined]

    _wait_ready(stack, organiser, slug, set_id, 90)
    assert _board(stack, slug) == before  # judged, not applied: participants see no change

    review = organiser.client.get(f"/organise/{slug}/rescores/{set_id}")
    assert review.status_code == 200
    new_good = _rmse(BASELINE, answers)
    new_flat = _rmse(tmp_path / "flat.csv", answers)
    for value in (old_good, old_flat, new_good, new_flat):
        assert f"{value:.6g}" in review.text  # old beside new, for each team
    assert "2 of 2 submissions get different scores" in review.text

    applied = _post(organiser, f"/organise/{slug}/rescores/{set_id}",
                    f"/organise/{slug}/rescores/{set_id}/apply")  # fmt: skip
    assert applied.status_code == 303  # type: ignore[attr-defined]
    after = _board(stack, slug)
    assert after == {"Aurora": round(new_good, 3), "Borea": round(new_flat, 3)}
    assert after != before

    with Session(stack.runtime.engine) as session:
        scores = session.exec(
            select(Score).where(Score.submission_id == good, Score.split == "public",
                                Score.key == "rmse").order_by(col(Score.version))
        ).all()  # fmt: skip
        items = session.exec(select(RescoreItem).where(RescoreItem.set_id == set_id)).all()
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.action.startswith("rescore"))
        ).all()  # type: ignore[attr-defined]
        events = session.exec(
            select(SubmissionEvent).where(SubmissionEvent.submission_id == flat)
        ).all()
    # History kept: version 1 (old, not current) and version 2 (new, current, from the item).
    assert [(s.version, s.current) for s in scores] == [(1, False), (2, True)]
    assert scores[0].value == pytest.approx(old_good) and scores[1].value == pytest.approx(new_good)
    item_of_good = next(i for i in items if i.submission_id == good)
    assert scores[1].rescore_item_id == item_of_good.id
    assert item_of_good.provenance["submission_sha256"] == stack.submission(good).file_sha256
    assert sorted(actions) == ["rescore.apply", "rescore.start"]
    assert "judged again by the organisers" in events[-1].detail  # the team's history says so

    # Applied is final: a second apply is refused, and nothing is written twice.
    twice = _post(organiser, f"/organise/{slug}/rescores/{set_id}",
                  f"/organise/{slug}/rescores/{set_id}/apply")  # fmt: skip
    assert twice.status_code == 409  # type: ignore[attr-defined]


def test_one_submission_judged_again_then_discarded_changes_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    slug, bundle, good, _flat = _scored_pair(stack, tmp_path)
    before = _board(stack, slug)
    _shift_answers(bundle, -0.4)
    stack.load(bundle)
    organiser = _organiser(stack)
    started = _post(organiser, f"/organise/{slug}/teams",
                    f"/organise/{slug}/submissions/{good}/rescore")  # fmt: skip
    set_id = _set_id(started)
    _wait_ready(stack, organiser, slug, set_id, 60)
    review = organiser.client.get(f"/organise/{slug}/rescores/{set_id}").text
    assert "1 of 1 submissions get different scores" in review
    logs_link = re.search(r'href="([^"]+/items/\d+/logs)"', review)
    assert logs_link, "the review links to the logs of the new run"
    logs = organiser.client.get(logs_link.group(1))
    assert logs.status_code == 200 and "Logs for organisers" in logs.text
    discarded = _post(organiser, f"/organise/{slug}/rescores/{set_id}",
                      f"/organise/{slug}/rescores/{set_id}/discard")  # fmt: skip
    assert discarded.status_code == 303  # type: ignore[attr-defined]
    assert _board(stack, slug) == before
    with Session(stack.runtime.engine) as session:
        versions = session.exec(select(Score.version).where(Score.submission_id == good)).all()
    assert set(versions) == {1}  # the proposal never became a score
    # A discarded set cannot be applied afterwards.
    late = _post(organiser, f"/organise/{slug}/rescores/{set_id}",
                 f"/organise/{slug}/rescores/{set_id}/apply")  # fmt: skip
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert "already discarded" in late.text  # type: ignore[attr-defined]


def test_a_rescore_survives_its_worker_being_killed(stack: Stack, tmp_path: Path) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle", kind="code", time_limit_s=20))
    team = stack.team(challenge, "Balene")
    archive = tmp_path / "program.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.py", SLOW_PROGRAM.format(sleep=4))
    worker = stack.start_worker()
    submission_id = stack.submit(challenge, team, archive)
    stack.dispatch()
    stack.wait_for(lambda: stack.submission(submission_id).status == Status.scored, 60, "scoring")

    organiser = _organiser(stack)
    slug = challenge.slug
    started = _post(organiser, f"/organise/{slug}/teams",
                    f"/organise/{slug}/submissions/{submission_id}/rescore")  # fmt: skip
    set_id = _set_id(started)

    def item() -> RescoreItem:
        with Session(stack.runtime.engine) as session:
            return session.exec(select(RescoreItem).where(RescoreItem.set_id == set_id)).one()

    stack.wait_for(lambda: item().status == "running", 30, "the rescore run to start")
    time.sleep(1.5)  # inside the sandbox now
    stack.kill_worker(worker, signal.SIGKILL)
    stack.start_worker()
    _wait_ready(stack, organiser, slug, set_id, 90)
    final = item()
    assert final.status == "scored" and final.attempts == 2
    assert final.new_scores == final.old_scores  # same program, same answers: same scores
    review = organiser.client.get(f"/organise/{slug}/rescores/{set_id}").text
    assert "0 of 1 submissions get different scores" in review


BROKEN_SCORER = """\
import json, os
with open(os.environ["MAREA_SCORES_FILE"], "w") as fh:
    json.dump({"scoring_error": "the answers file is being fixed"}, fh)
"""

FIXED_SCORER = """\
import csv, json, math, os
truth = list(csv.DictReader(open(os.path.join(os.environ["MAREA_REFERENCE_DIR"], "answers.csv"))))
guess = {r["id"]: float(r["wave_height"]) for r in csv.DictReader(open(os.environ["MAREA_PREDICTIONS_FILE"]))}
scores = {}
for split in ("public", "private"):
    errors = [guess[r["id"]] - float(r["wave_height"]) for r in truth if r["split"] == split]
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    scores[split] = {"rmse": rmse, "mae": sum(abs(e) for e in errors) / len(errors), "q90": 0.0}
with open(os.environ["MAREA_SCORES_FILE"], "w") as fh:
    json.dump(scores, fh)
"""


def _with_scorer(bundle: Path, program: str) -> Path:
    """The test bundle scored by a program of the organisers instead of the built-in metrics."""
    yaml = YAML()
    config = yaml.load((bundle / "challenge.yaml").read_text())
    config["scoring"] = {
        "program": {"path": "scoring/", "command": ["python3", "score.py"], "time_limit_s": 30},
        "predictions_file": "predictions.csv",
    }
    for column in config["leaderboard"]["columns"]:
        column.pop("metric", None)
        column.pop("params", None)
    with (bundle / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    (bundle / "scoring").mkdir(exist_ok=True)
    (bundle / "scoring" / "score.py").write_text(program)
    return bundle


def test_submissions_the_scoring_program_failed_are_rescued_by_a_fixed_one(
    stack: Stack, tmp_path: Path
) -> None:
    bundle = _with_scorer(make_bundle(tmp_path / "bundle"), BROKEN_SCORER)
    challenge = stack.load(bundle)
    team = stack.team(challenge, "Aurora")
    submission_id = stack.submit(challenge, team, BASELINE)
    stack.start_worker()
    stack.dispatch()
    stack.wait_for(lambda: stack.submission(submission_id).status == Status.failed, 60, "failure")
    assert stack.submission(submission_id).failure == "scoring_error"
    assert _board(stack, challenge.slug) == {}

    _with_scorer(bundle, FIXED_SCORER)  # the organisers fix their program: version 2
    stack.load(bundle)
    organiser = _organiser(stack)
    page = f"/organise/{challenge.slug}/rescores"
    set_id = _set_id(_post(organiser, page, page, {"phase": "development"}))
    _wait_ready(stack, organiser, challenge.slug, set_id, 60)
    assert _board(stack, challenge.slug) == {}  # still nothing before the decision
    _post(organiser, f"{page}/{set_id}", f"{page}/{set_id}/apply")

    answers = bundle / "reference" / "answers.csv"
    assert _board(stack, challenge.slug) == {"Aurora": round(_rmse(BASELINE, answers), 3)}
    row = stack.submission(submission_id)
    assert row.status == Status.scored and row.failure is None
