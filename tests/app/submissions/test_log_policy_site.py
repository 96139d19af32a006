"""Hidden test inputs never reach a team through its own logs or messages, on the real site.

The class of leak (issue 11): a code submission prints the hidden inputs, or makes a failure
message quote them (its exit code, the files it wrote, its predictions), and reads them back
on its submission page. A site is built with the real app, one challenge per log policy:

    hidden-default   data.inputs not public, no `logs` key   -> `none`
    hidden-excerpt   data.inputs not public, `logs: excerpt`  -> `excerpt`
    public-default   data.inputs also public, no `logs` key   -> `full` (the control)

Each team submits every program of `PROGRAMS` through the API; a real RQ worker judges them
in this process (real containers). Then every channel a team reads is fetched as the team:
the page, its result fragment, the API detail and list, the live status stream, the list page.
The secret of the hidden inputs must appear in none of them for the hidden challenges, and
in the organisers' view of every one; the control shows the same channels do carry it when
the policy allows, so the test can fail.
"""

from __future__ import annotations

import re
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.bundles.load import LoadOutcome, load_into_db
from app.core.db import utcnow
from app.core.runtime import Runtime
from app.core.settings import Settings
from app.main import create_app
from app.submissions.models import LogExcerpt
from tests.app.accounts.helpers import APP_URL, csrf_from
from tests.app.web.web_helpers import Person, engine_of, person
from tests.hostile.hostile_world import judge_queued
from tests.redis_urls import redis_url

pytestmark = pytest.mark.docker

VALID_BUNDLE = Path(__file__).resolve().parents[2] / "bundles" / "fixtures" / "valid"
REDIS_DB = 12  # this file's own db
SECRET = f"hidden-input-{uuid.uuid4().hex[:12]}"
CODE = 173
WITHHELD_NOTE = "so what it prints is not shown to teams"

READ = """import csv, os, sys
rows = list(csv.DictReader(open(os.path.join(os.environ["MAREA_INPUT_DIR"], "test.csv"))))
secret, code = rows[0]["note"], int(rows[0]["code"])
out = os.environ["MAREA_OUTPUT_DIR"]
def predict(value=lambda row: "1.0"):
    with open(os.path.join(out, "predictions.csv"), "w") as f:
        f.write("id,wave_height\\n")
        f.writelines(f"{row['id']},{value(row)}\\n" for row in rows)
"""
PROGRAMS = {
    "prints": "print(secret); print('warning:', secret, file=sys.stderr); predict()",
    "crashes": "print('Traceback: bad input', secret, file=sys.stderr); sys.exit(code)",
    "names a file": "open(os.path.join(out, secret + '.csv'), 'w').write('id')",
    "writes a prediction": "predict(value=lambda row: row['note'])",
}
# What the control (logs shown) carries, per program: proof that each channel is real.
CONTROL_CARRIES = {
    "prints": SECRET,
    "crashes": f"exit code {CODE}",
    "names a file": SECRET,
    "writes a prediction": SECRET,
}


@dataclass(frozen=True)
class Variant:
    slug: str
    inputs_public: bool
    logs: str | None  # the phase's `code.logs`; None: the default


VARIANTS = (
    Variant("logs-hidden-default", False, None),
    Variant("logs-hidden-excerpt", False, "excerpt"),
    Variant("logs-public-default", True, None),
)
HIDDEN = [v for v in VARIANTS if not v.inputs_public]


def _bundle(dest: Path, variant: Variant) -> Path:
    shutil.copytree(VALID_BUNDLE, dest)
    test = dest / "data" / "test.csv"
    lines = test.read_text().splitlines()
    rows = [lines[0] + ",note,code"] + [f"{line},{SECRET},{CODE}" for line in lines[1:] if line]
    test.write_text("\n".join(rows) + "\n")
    yaml = YAML()
    config = yaml.load((dest / "challenge.yaml").read_text())
    config["slug"] = variant.slug
    config["baseline"] = None
    if not variant.inputs_public:
        config["data"]["public"] = [
            f for f in config["data"]["public"] if f["path"] != "data/test.csv"
        ]
    code: dict[str, Any] = {"command": ["python3", "main.py"], "time_limit_s": 30}
    if variant.logs is not None:
        code["logs"] = variant.logs
    now = utcnow()
    config["phases"] = [
        {
            "name": "development",
            "title": {"it": "Sviluppo", "en": "Development"},
            "start": (now - timedelta(days=1)).isoformat(),
            "end": (now + timedelta(days=30)).isoformat(),
            "kind": "code",
            "limits": {"per_day": 50, "total": 100, "concurrent": 50},
            "code": code,
        }
    ]
    with (dest / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return dest


def _program(root: Path, name: str) -> bytes:
    path = root / f"{uuid.uuid4().hex[:8]}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("main.py", READ + PROGRAMS[name] + "\n")
    return path.read_bytes()


@dataclass
class Site:
    client: TestClient
    organiser: Person
    teams: dict[str, Person]  # slug -> the member who submits
    ids: dict[tuple[str, str], int]  # (slug, program) -> submission id
    excerpt_id: int  # one more "crashes" run in the excerpt challenge, for the approval flow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, runner_image: str) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("log-policy")
    settings = Settings(
        data_dir=root / "var",
        redis_url=redis_url(REDIS_DB),
        base_url=APP_URL,
        queue_name="marea-log-policy",
        runner_image=runner_image,
    )
    flush = redis.Redis.from_url(redis_url(REDIS_DB))
    try:
        flush.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_url(REDIS_DB)} (run `make services`): {exc}")
    app = create_app(settings)
    with TestClient(app, base_url=APP_URL) as client:
        runtime = Runtime(settings, app.state.engine, app.state.store)
        organiser = person(client, "olga@example.org", "Olga", Role.organiser)
        organiser.client.cookies.set("lang", "en")  # the assertions read the English words
        teams: dict[str, Person] = {}
        ids: dict[tuple[str, str], int] = {}
        for n, variant in enumerate(VARIANTS):
            loaded = load_into_db(runtime, _bundle(root / variant.slug, variant), publish=True)
            assert isinstance(loaded, LoadOutcome), loaded
            member = person(client, f"member{n}@example.org", f"Member {n}")
            member.client.cookies.set("lang", "en")
            made = client.post(
                f"/api/v1/challenges/{variant.slug}/teams",
                json={"name": f"Team {n}"},
                headers=member.bearer(),
            )
            assert made.status_code == 201, made.text
            teams[variant.slug] = member
            for name in PROGRAMS:
                ids[(variant.slug, name)] = _submit(client, member, variant.slug, root, name)
        excerpt_id = _submit(
            client, teams["logs-hidden-excerpt"], "logs-hidden-excerpt", root, "crashes"
        )
        judge_queued(settings)
        yield Site(client, organiser, teams, ids, excerpt_id)
    flush.flushdb()
    flush.close()


def _submit(client: TestClient, who: Person, slug: str, root: Path, name: str) -> int:
    response = client.post(
        f"/api/v1/challenges/{slug}/submissions",
        files={"file": ("program.zip", _program(root, name), "application/zip")},
        headers=who.bearer(),
    )
    assert response.status_code == 201, response.text
    submission_id: int = response.json()["id"]
    return submission_id


def _team_channels(site: Site, slug: str, submission_id: int) -> dict[str, str]:
    """Everything the team can read about the submission, channel by channel."""
    who = site.teams[slug]
    api = site.client.get(f"/api/v1/submissions/{submission_id}", headers=who.bearer())
    assert api.status_code == 200, api.text
    assert api.json()["status"] in ("scored", "failed"), api.json()
    listing = site.client.get(f"/api/v1/challenges/{slug}/submissions", headers=who.bearer())
    with site.client.stream(
        "GET", f"/api/v1/submissions/{submission_id}/events", headers=who.bearer()
    ) as stream:
        events = "".join(stream.iter_text())
    channels = {
        "page": who.client.get(f"/submissions/{submission_id}"),
        "result fragment": who.client.get(f"/submissions/{submission_id}/result"),
        "list page": who.client.get(f"/challenges/{slug}/submissions"),
    }
    for name, response in channels.items():
        assert response.status_code == 200, (name, response.text)
    assert listing.status_code == 200 and "event: status" in events
    return {
        "api detail": api.text,
        "api list": listing.text,
        "status events": events,
        **{name: response.text for name, response in channels.items()},
    }


CASES = [(v, name) for v in VARIANTS for name in PROGRAMS]


@pytest.mark.parametrize(("variant", "program"), CASES, ids=[f"{v.slug}-{p}" for v, p in CASES])
def test_what_the_team_reads_follows_the_log_policy(
    site: Site, variant: Variant, program: str
) -> None:
    submission_id = site.ids[(variant.slug, program)]
    seen = _team_channels(site, variant.slug, submission_id)
    detail = site.client.get(
        f"/api/v1/submissions/{submission_id}", headers=site.teams[variant.slug].bearer()
    ).json()
    staff = site.organiser.client.get(f"/submissions/{submission_id}").text
    assert SECRET in staff, "the organisers always read everything"
    if variant.inputs_public:
        # The control: with the logs shown, the same channels carry what the program put out.
        assert any(CONTROL_CARRIES[program] in text for text in seen.values()), seen["page"]
        return
    leaked = {name: text for name, text in seen.items() if SECRET in text}
    assert leaked == {}, f"the hidden inputs reached the team through {sorted(leaked)}"
    assert str(CODE) not in detail["message"]
    assert detail["logs"] == {}
    # The team is told why it sees no output: by the failure's message, or next to the score.
    if detail["status"] == "failed":
        assert "hidden test inputs" in detail["message"]
    else:
        assert WITHHELD_NOTE in seen["page"]
    if variant.logs == "excerpt":
        assert "The organisers may approve an excerpt" in seen["page"]


def test_an_excerpt_reaches_the_team_only_once_an_organiser_approved_it(site: Site) -> None:
    slug, submission_id = "logs-hidden-excerpt", site.excerpt_id
    member, organiser = site.teams[slug], site.organiser
    assert SECRET not in "".join(_team_channels(site, slug, submission_id).values())
    assert (
        "The organisers may approve an excerpt"
        in member.client.get(f"/submissions/{submission_id}").text
    )
    listed = organiser.client.get(f"/organise/{slug}/log-excerpts")
    assert listed.status_code == 200 and "to review" in listed.text
    review_url = f"/organise/{slug}/submissions/{submission_id}/log-excerpt"
    review = organiser.client.get(review_url)
    assert review.status_code == 200
    assert "Program output withheld from the team" in review.text  # the whole log, beside
    found = re.search(r'name="excerpt_sha256" value="([0-9a-f]{64})"', review.text)
    assert found, review.text

    # An approval of something the organiser did not see is refused, and shows nothing.
    token = csrf_from(review.text)
    wrong = organiser.client.post(
        f"{review_url}?lang=en",  # the refusal speaks the reader's language; read the English
        data={"excerpt_sha256": "0" * 64, "csrf_token": token},
        follow_redirects=False,
    )
    assert wrong.status_code == 409 and "not the one you saw" in wrong.text
    assert SECRET not in "".join(_team_channels(site, slug, submission_id).values())

    approved = organiser.client.post(
        review_url,
        data={"excerpt_sha256": found.group(1), "csrf_token": token},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    assert "Approved: the team now sees" in organiser.client.get(approved.headers["location"]).text
    with Session(engine_of(site.client)) as session:
        row = session.exec(
            select(LogExcerpt).where(LogExcerpt.submission_id == submission_id)
        ).one()
        audit = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "submission.log_excerpt.approve")
        ).all()
    assert [e.detail["submission_id"] for e in audit] == [submission_id]
    assert row.text.startswith("--- stderr ---\nTraceback: bad input")

    # The team now reads exactly the approved text, in every channel that shows logs.
    detail = site.client.get(f"/api/v1/submissions/{submission_id}", headers=member.bearer())
    assert detail.json()["logs"] == {"excerpt": {"log": row.text}}
    page = member.client.get(f"/submissions/{submission_id}").text
    assert "Log excerpt approved by the organisers" in page and SECRET in page
    assert str(CODE) not in detail.json()["message"]  # the message stays withheld
    # Approving again changes nothing and writes no second audit event.
    again = organiser.client.post(
        review_url,
        data={"excerpt_sha256": found.group(1), "csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 303
    with Session(engine_of(site.client)) as session:
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "submission.log_excerpt.approve")
        ).all()
    assert len(events) == 1
    assert "approved" in organiser.client.get(f"/organise/{slug}/log-excerpts").text


def test_no_excerpt_is_offered_where_the_policy_is_not_excerpt(site: Site) -> None:
    slug = "logs-hidden-default"
    submission_id = site.ids[(slug, "crashes")]
    url = f"/organise/{slug}/submissions/{submission_id}/log-excerpt"
    review = site.organiser.client.get(url)
    assert review.status_code == 200 and "not `excerpt`" in review.text
    assert 'name="excerpt_sha256"' not in review.text
    refused = site.organiser.client.post(
        url,
        data={"excerpt_sha256": "0" * 64, "csrf_token": csrf_from(review.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    assert SECRET not in "".join(_team_channels(site, slug, submission_id).values())
