"""The tester's attack on a real stack: judged by the worker, locked at the end, rescored after.

Teams upload through the site's API and a real `marea worker` judges them; the
organiser ends the phase, reveals, reloads the bundle and rescores through the
site's forms. Boards are read through the public API of a fresh app each time,
so no cache can hide a change. Scores are recomputed here from the answer file.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.bundles.load import LoadOutcome, load_into_db
from app.core.db import utcnow
from app.core.refusal import Refusal
from app.main import create_app
from app.models import Submission, SubmissionEvent
from app.submissions.models import Status
from tests.app.accounts.helpers import APP_URL
from tests.app.queue.conftest import VALID_BUNDLE, Stack, make_bundle, stack
from tests.app.web.web_helpers import Person, person, team_for

__all__ = ["stack"]

IDS = [row["id"] for row in csv.DictReader((VALID_BUNDLE / "baseline" / "predictions.csv").open())]


def _site(stack: Stack) -> TestClient:
    settings = stack.runtime.settings.model_copy(update={"base_url": APP_URL})
    return TestClient(create_app(settings, run_migrations=False), base_url=APP_URL)


def _constant(value: float) -> bytes:
    return ("id,wave_height\n" + "".join(f"{i},{value}\n" for i in IDS)).encode()


def _rmse(answers: Path, value: float, split: str) -> float:
    truth = [float(r["wave_height"]) for r in csv.DictReader(answers.open()) if r["split"] == split]
    return math.sqrt(sum((value - y) ** 2 for y in truth) / len(truth))


def _shift_answers(answers: Path, delta: float) -> None:
    rows = list(csv.DictReader(answers.open()))
    with answers.open("w") as fh:
        fh.write("id,wave_height,split\n")
        for row in rows:
            fh.write(f"{row['id']},{float(row['wave_height']) + delta:.2f},{row['split']}\n")


def _edit_yaml(bundle: Path, **phase: str) -> None:
    """One final submission per team, and the phase's dates if given."""
    yaml = YAML()
    path = bundle / "challenge.yaml"
    config = yaml.load(path.read_text())
    config["leaderboard"]["final_submissions"] = 1
    config["phases"][0].update(phase)
    with path.open("w") as fh:
        yaml.dump(config, fh)


def _board(stack: Stack, slug: str, split: str) -> list[tuple[str, int, float]]:
    response = _site(stack).get(f"/api/v1/challenges/{slug}/leaderboard?split={split}")
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    return [(r["team"]["name"], r["submission_id"], r["scores"]["rmse"]) for r in rows]


def _form(who: Person, page: str, action: str, **data: str) -> tuple[int, str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', who.client.get(page).text)
    assert token, page
    response = who.client.post(
        f"{action}?lang=en", data={**data, "csrf_token": token.group(1)}, follow_redirects=False
    )
    return response.status_code, response.headers.get("location", ""), response.text


def _upload(site: TestClient, who: Person, slug: str, value: float) -> int:
    response = site.post(
        f"/api/v1/challenges/{slug}/submissions",
        files={"file": ("predictions.csv", _constant(value), "text/csv")},
        headers=who.bearer(),
    )
    assert response.status_code in (200, 201, 202), response.text
    return int(response.json()["id"])


def _choose(site: TestClient, who: Person, sid: int, selected: bool) -> tuple[int, str]:
    response = site.post(f"/api/v1/submissions/{sid}/final", json={"selected": selected},
                         headers=who.bearer())  # fmt: skip
    message = response.json()["error"]["message"] if response.status_code >= 400 else ""
    return response.status_code, str(message)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def test_a_team_cannot_swap_its_final_after_the_reveal_nor_a_rescore_move_it(
    stack: Stack, tmp_path: Path
) -> None:
    bundle = make_bundle(tmp_path / "bundle")
    _edit_yaml(bundle)
    answers = bundle / "reference" / "answers.csv"
    challenge = stack.load(bundle)
    slug, cid = challenge.slug, challenge.id
    assert cid is not None
    site = _site(stack)
    org = person(site, "org@example.org", "Orsola", Role.organiser)
    ada = person(site, "ada@example.org", "Ada")
    bea = person(site, "bea@example.org", "Bea")
    team_for(site, cid, ada, "Aurora")
    team_for(site, cid, bea, "Borea")
    # Aurora: a1 is its best public (1.0), a2 its best private (1.3). Borea chooses nothing and
    # has b1 (1.35) and b2 (1.6); shifting the answers by +0.4 later makes b2 its best public.
    a1, a2 = _upload(site, ada, slug, 1.0), _upload(site, ada, slug, 1.3)
    b1, b2 = _upload(site, bea, slug, 1.35), _upload(site, bea, slug, 1.6)
    assert _rmse(answers, 1.0, "public") < _rmse(answers, 1.3, "public")
    assert _rmse(answers, 1.3, "private") < _rmse(answers, 1.35, "private")
    assert _rmse(answers, 1.35, "private") < _rmse(answers, 1.0, "private")
    stack.start_worker()
    stack.dispatch()
    for sid in (a1, a2, b1, b2):
        stack.wait_for(lambda s=sid: stack.submission(s).status == Status.scored, 90, "scoring")
    assert _choose(site, ada, a1, True) == (200, "")

    # The phase ends (the organiser's form), then the organiser reveals after confirming.
    now = _minute(utcnow())
    start, end = now - timedelta(days=2), now - timedelta(minutes=1)
    moved = _form(org, f"/organise/{slug}", f"/organise/{slug}/phases/development",
                  start=start.strftime("%Y-%m-%dT%H:%MZ"), end=end.strftime("%Y-%m-%dT%H:%MZ"))  # fmt: skip
    assert moved[0] == 303, moved[2]
    confirm = org.client.get(f"/organise/{slug}/reveal?lang=en").text
    assert "Everyone will see the private scores of 4 scored submissions" in confirm
    assert "Not every phase is over." not in confirm
    revealed = _form(org, f"/organise/{slug}/reveal", f"/organise/{slug}/reveal", confirm="yes")
    assert revealed[0] == 303, revealed[2]
    board = _board(stack, slug, "private")
    assert board == [
        ("Borea", b1, round(_rmse(answers, 1.35, "private"), 3)),
        ("Aurora", a1, round(_rmse(answers, 1.0, "private"), 3)),
    ]

    # Aurora reads its private scores and tries to swap a1 for a2, which would make it #1.
    status, message = _choose(site, ada, a1, False)
    assert status == 409
    assert f"closed on {end:%Y-%m-%d %H:%M} UTC, when the phase ended" in message
    assert _choose(site, ada, a2, True)[0] == 409
    assert _board(stack, slug, "private") == board

    # The organisers correct the answers. The bundle as written would reopen the phase: refused.
    _shift_answers(answers, 0.4)
    refused = load_into_db(stack.runtime, bundle)
    assert isinstance(refused, Refusal) and "cannot open again" in refused.message
    _edit_yaml(bundle, start=start.isoformat(), end=end.isoformat())
    assert isinstance(load_into_db(stack.runtime, bundle), LoadOutcome)
    started = _form(org, f"/organise/{slug}/rescores", f"/organise/{slug}/rescores",
                    phase="development", reason="answers fixed")  # fmt: skip
    assert started[0] == 303, started[2]
    set_id = re.search(r"/rescores/(\d+)$", started[1])
    assert set_id, started[1]
    progress = f"/organise/{slug}/rescores/{set_id.group(1)}/progress"
    stack.wait_for(lambda: org.client.get(progress).json()["status"] == "ready", 120, "rescore")
    page = f"/organise/{slug}/rescores/{set_id.group(1)}"
    assert _form(org, page, f"{page}/apply")[0] == 303

    # The rescore moved the public order (b2 is now Borea's best public), but not the finals:
    # b1 was written down as Borea's final at the reveal. The private scores are the new ones.
    public = _board(stack, slug, "public")
    assert ("Borea", b2, round(_rmse(answers, 1.6, "public"), 3)) in public
    after = _board(stack, slug, "private")
    assert after == sorted(
        [
            ("Borea", b1, round(_rmse(answers, 1.35, "private"), 3)),
            ("Aurora", a1, round(_rmse(answers, 1.0, "private"), 3)),
        ],
        key=lambda row: row[2],
    )
    assert _choose(site, ada, a2, True)[0] == 409
    with Session(stack.runtime.engine) as session:
        chosen = session.exec(
            select(Submission.id).where(col(Submission.selected_final).is_(True))
        ).all()
        history = session.exec(
            select(SubmissionEvent.submission_id, SubmissionEvent.status, SubmissionEvent.detail)
            .where(col(SubmissionEvent.status).in_(["final", "not-final"]))
            .order_by(col(SubmissionEvent.id))
        ).all()
    assert sorted(chosen) == sorted([a1, b1])
    assert [(sid, status) for sid, status, _ in history] == [(a1, "final"), (b1, "final")]
    assert "by Ada" in history[0][2] and "automatically" in history[1][2]
