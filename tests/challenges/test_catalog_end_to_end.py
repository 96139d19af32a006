"""Every baseline of the catalog through `marea judge` and through a real submission on the web.

The expected numbers are recomputed independently from the bundle's hidden files (see
test_challenge_catalog.py); for the code challenges the baseline program is also run directly
on this machine to get the plan it produces, which is then scored by numpy. Project challenges
have no baseline: they are loaded with the rest and their pages served, and the scoring checks
run on the scored challenges only (SCORED) for that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.tokens import NewToken, create_token
from app.core.db import make_engine, migrate
from app.submissions.models import Score
from tests.challenges.test_challenge_catalog import (
    BUNDLES,
    GENERATED,
    PROJECTS,
    RECOMPUTE,
    SCORED,
    Files,
    builtin_expected,
    catalog,
    catalog_files,
    config_of,
    submission_of,
)

__all__ = ["catalog"]
from tests.redis_urls import redis_url

MAREA = str(Path(sys.executable).with_name("marea"))
REDIS_DB = 10
Expected = dict[str, dict[str, float]]


def expected_scores(files: Files, tmp_path: Path) -> Expected:
    bundle = files.bundle
    config = config_of(bundle)
    baseline = bundle / str(config["baseline"])
    if bundle.name not in RECOMPUTE:
        return builtin_expected(files, baseline)
    # Run the baseline program here, outside any sandbox, on the hidden test inputs.
    inputs_dir = tmp_path / "inputs"
    inputs_dir.mkdir(exist_ok=True)
    for entry in config["data"]["inputs"]:
        source = files(entry["path"])
        shutil.copy(source, inputs_dir / source.name)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    command = config["phases"][0]["code"]["command"]
    env = {**os.environ, "MAREA_INPUT_DIR": str(inputs_dir), "MAREA_OUTPUT_DIR": str(out),
           "MAREA_PREDICTIONS_FILE": str(out / config["scoring"]["predictions_file"])}  # fmt: skip
    subprocess.run([sys.executable, *command[1:]], cwd=baseline, env=env, check=True,
                   capture_output=True)  # fmt: skip
    return RECOMPUTE[bundle.name](files, out / config["scoring"]["predictions_file"])


def assert_scores(actual: dict[str, Any], expected: Expected) -> None:
    for part in ("public", "private"):
        assert actual[part] == pytest.approx(expected[part], rel=1e-6, abs=1e-4), part


@pytest.mark.parametrize("bundle", SCORED, ids=lambda b: b.name)
def test_marea_judge_scores_every_baseline(
    bundle: Path, tmp_path: Path, catalog: dict[str, Files]
) -> None:
    files = catalog[bundle.name]
    submission = submission_of(bundle, tmp_path)
    hidden = ["--hidden", str(files.hidden)] if files.hidden is not None else []
    result = subprocess.run([MAREA, "judge", str(bundle), str(submission), "--json", *hidden],
                            capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "scored", data
    assert_scores(data["scores"], expected_scores(files, tmp_path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The real site: catalog loaded as `make catalog` does (hidden files generated into its data
    folder), `marea serve` and `marea worker`, a user with a token."""
    tmp = tmp_path_factory.mktemp("site")
    redis.Redis.from_url(redis_url(REDIS_DB)).flushdb()
    database_url = f"sqlite:///{tmp / 'marea.db'}"
    env = {**os.environ, "MAREA_DATA_DIR": str(tmp / "var"), "MAREA_DATABASE_URL": database_url,
           "MAREA_REDIS_URL": redis_url(REDIS_DB)}  # fmt: skip
    env.pop("MAREA_HIDDEN_SEED", None)
    loaded = subprocess.run([MAREA, "challenge", "catalog", "--publish"],
                            env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.count("created") == len(BUNDLES) + 1, loaded.stdout  # and the event
    port = _free_port()
    logs = (tmp / "server.log").open("wb")
    procs = [
        subprocess.Popen([MAREA, "serve", "--port", str(port)], env=env, stdout=logs,
                         stderr=subprocess.STDOUT),
        subprocess.Popen([MAREA, "worker", "--processes", "2"], env=env, stdout=logs,
                         stderr=subprocess.STDOUT),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    engine = make_engine(database_url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        user = User(email="ada@example.org", name="Ada", email_verified=True)
        session.add(user)
        session.flush()
        token = create_token(session, user, "tests")
        assert isinstance(token, NewToken)
        session.commit()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield {"url": base, "token": token.secret, "log": str(tmp / "server.log"),
               "database_url": database_url, "data_dir": str(tmp / "var")}  # fmt: skip
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


@pytest.mark.parametrize("bundle", SCORED, ids=lambda b: b.name)
def test_a_web_submission_of_every_baseline_scores(
    site: dict[str, str], bundle: Path, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {site['token']}"}
    slug = bundle.name
    team = httpx.post(f"{site['url']}/api/v1/challenges/{slug}/teams", json={"name": "Delfini"},
                      headers=headers, timeout=10)  # fmt: skip
    assert team.status_code == 201, team.text
    submission = submission_of(bundle, tmp_path)
    result = subprocess.run(
        [MAREA, "submit", slug, str(submission), "--wait", "--url", site["url"],
         "--token", site["token"]],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (
        result.stdout,
        result.stderr,
        Path(site["log"]).read_text()[-3000:],
    )
    listing = httpx.get(f"{site['url']}/api/v1/challenges/{slug}/submissions", headers=headers,
                        timeout=10).json()  # fmt: skip
    latest = listing["items"][0]
    detail = httpx.get(f"{site['url']}/api/v1/submissions/{latest['id']}", headers=headers,
                       timeout=10).json()  # fmt: skip
    assert detail["status"] == "scored", detail
    # The site's own hidden files, made by `marea challenge catalog` (prepare_catalog reuses them).
    files = catalog_files(Path(site["data_dir"]))[slug]
    assert (files.hidden is not None) == (bundle in GENERATED)
    expected = expected_scores(files, tmp_path)
    # The team sees its public scores only; the private ones are stored for the reveal.
    assert set(detail["scores"]) == {"public"}
    with Session(make_engine(site["database_url"])) as session:
        stored = session.exec(select(Score).where(Score.submission_id == latest["id"])).all()
    assert_scores(
        {
            part: {s.key: s.value for s in stored if s.split == part}
            for part in ("public", "private")
        },
        expected,
    )
    assert detail["scores"]["public"] == pytest.approx(expected["public"], rel=1e-6, abs=1e-4)
    board = httpx.get(f"{site['url']}/api/v1/challenges/{slug}/leaderboard", timeout=10).json()
    assert [row["team"]["name"] for row in board["rows"]] == ["Delfini"]


@pytest.mark.parametrize("bundle", PROJECTS, ids=lambda b: b.name)
def test_the_site_serves_every_project_challenge_in_both_languages(
    site: dict[str, str], bundle: Path
) -> None:
    """Loaded by `marea challenge catalog` like the scored ones, and published with them."""
    title = config_of(bundle)["title"]
    for language in ("it", "en"):
        page = httpx.get(f"{site['url']}/challenges/{bundle.name}?lang={language}", timeout=10)
        assert page.status_code == 200, page.text[:500]
        assert title[language] in page.text


def test_marea_challenge_validate_accepts_the_whole_catalog(catalog: dict[str, Files]) -> None:
    for bundle in BUNDLES:
        files = catalog[bundle.name]
        hidden = ["--hidden", str(files.hidden)] if files.hidden is not None else []
        result = subprocess.run([MAREA, "challenge", "validate", str(bundle), *hidden],
                                capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith(f"OK {bundle.name} "), result.stdout
    assert len(BUNDLES) >= 4
