"""Every starter kit works as its README says, from the zip the site serves.

A participant downloads `/challenges/{slug}/starter-kit.zip`, unpacks it and types the README's
commands in the kit's folder. The test does exactly that (the commands are written here and must
appear verbatim in the README, so the README cannot drift from what is tested), then judges
what the kit produced with the challenge's own scorer through `marea judge`, and checks it
scores at least as well as the baseline the pages describe, and as the README claims.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.bundles.load import LoadOutcome, load_into_db
from app.core.runtime import Runtime
from app.core.settings import Settings
from app.main import create_app
from tests.challenges.test_catalog_end_to_end import MAREA, expected_scores
from tests.challenges.test_challenge_catalog import (
    BUNDLES,
    PROJECTS,
    SCORED,
    Files,
    catalog,
    config_of,
)
from tests.redis_urls import redis_url

__all__ = ["catalog"]


@dataclass(frozen=True)
class Kit:
    """What a kit's README tells a participant to type, and what it then hands in."""

    commands: tuple[str, ...]  # run in the unpacked kit's folder, in this order
    submission: str  # the file the README says to upload, relative to the kit
    claims: tuple[str, ...] = ()  # sentences of the README that state the kit's score
    claimed: float | None = None  # the rank-by score those sentences state (public part)
    baseline: float | None = None  # the baseline's public rank-by score the pages state
    pages: tuple[tuple[str, str], ...] = ()  # (page file, sentence stating that score)


KITS = {
    "sea-surface-temperature": Kit(
        ("python3 starter.py",),
        "predictions.csv",
        ("an RMSE of\nabout 0.77 °C on the public half", "RMSE di circa 0,77 °C sulla parte"),
        0.77,
        0.77,
        (
            ("overview.en.md", "an RMSE of about 0.77 °C on the public half"),
            ("overview.it.md", "un RMSE di circa 0,77 °C sulla parte pubblica"),
            ("evaluation.en.md", "RMSE of about 0.77 °C on the public half"),
            ("evaluation.it.md", "RMSE di circa 0,77 °C sulla parte pubblica"),
        ),
    ),
    "bike-sharing-demand": Kit(
        ("python3 starter.py",),
        "predictions.csv",
        ("a public MAE of about 32\nbikes per hour", "MAE pubblico di circa 32 bici/ora"),
        32,
        59,
        (
            ("overview.en.md", "an MAE of about 59 bikes per hour on the public half"),
            ("overview.it.md", "un MAE di circa 59 bici/ora sulla parte pubblica"),
            ("evaluation.en.md", "MAE about 59 bikes per hour on the public half"),
            ("evaluation.it.md", "MAE circa 59 bici/ora sulla parte pubblica"),
        ),
    ),
    "port-berth-scheduling": Kit(
        (
            "MAREA_INPUT_DIR=data MAREA_OUTPUT_DIR=out python3 main.py",
            "python3 score.py out/predictions.csv data",
            "zip submission.zip main.py",
        ),
        "submission.zip",
    ),
    "waterfront-smart-lighting": Kit(
        (
            "MAREA_INPUT_DIR=data MAREA_OUTPUT_DIR=out python3 main.py",
            "python3 score.py out/predictions.csv data",
            "zip submission.zip main.py",
        ),
        "submission.zip",
    ),
}


def test_every_bundle_has_its_kit_described_here() -> None:
    """Every scored challenge has a kit; a project challenge has nothing to start from."""
    assert sorted(KITS) == sorted(b.name for b in SCORED)
    assert PROJECTS and all("starter_kit" not in config_of(b) for b in PROJECTS)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, catalog: dict[str, Files]
) -> Iterator[TestClient]:
    """The site with the whole catalog loaded and published, as `make catalog` leaves it."""
    root = tmp_path_factory.mktemp("kits-site")
    settings = Settings(data_dir=root / "var", redis_url=redis_url(15))
    app = create_app(settings)
    with TestClient(app) as client:
        runtime = Runtime(settings, app.state.engine, app.state.store)
        for bundle in BUNDLES:
            loaded = load_into_db(runtime, bundle, hidden=catalog[bundle.name].hidden, publish=True)
            assert isinstance(loaded, LoadOutcome), loaded
        yield client


def unpack_kit(site: TestClient, slug: str, into: Path) -> Path:
    answer = site.get(f"/challenges/{slug}/starter-kit.zip")
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        assert all(n.startswith(f"{slug}/") for n in names), names
        archive.extractall(into)
    return into / slug


def run_as_readme_says(kit: Path, commands: tuple[str, ...]) -> None:
    """Each command through a shell, in the kit's folder, with a `python3` that has numpy
    (the runner image's Python has it too)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=kit, env={**os.environ, "PATH": path},
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, (command, done.stdout, done.stderr)


def judge(files: Files, submission: Path) -> dict[str, dict[str, float]]:
    hidden = ["--hidden", str(files.hidden)] if files.hidden is not None else []
    done = subprocess.run([MAREA, "judge", str(files.bundle), str(submission), "--json", *hidden],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "scored", data
    scores: dict[str, dict[str, float]] = data["scores"]
    return scores


@pytest.mark.docker
@pytest.mark.parametrize("bundle", SCORED, ids=lambda b: b.name)  # projects have no kit
def test_the_starter_kit_runs_as_its_readme_says_and_scores_at_least_the_baseline(
    bundle: Path, site: TestClient, tmp_path: Path, catalog: dict[str, Files]
) -> None:
    config = config_of(bundle)
    spec = KITS[bundle.name]
    kit = unpack_kit(site, bundle.name, tmp_path / "download")
    readme = (kit / "README.md").read_text(encoding="utf-8")
    for text in (*spec.commands, *spec.claims):
        assert text in readme, f"the README does not say {text!r}"
    for item in config["data"]["public"]:  # the data sit where the commands look for them
        assert (kit / item["path"]).is_file(), item["path"]
    run_as_readme_says(kit, spec.commands)

    files = catalog[bundle.name]
    scores = judge(files, kit / spec.submission)
    baseline = expected_scores(files, tmp_path)
    rank_by = config["leaderboard"]["rank_by"]
    column = next(c for c in config["leaderboard"]["columns"] if c["key"] == rank_by)
    sign = 1 if column["better"] == "lower" else -1
    for part in ("public", "private"):
        assert sign * scores[part][rank_by] <= sign * baseline[part][rank_by] + 1e-6, part
    if spec.claimed is not None:  # "about X": X is the score rounded as the README writes it
        assert rounded_as(scores["public"][rank_by], spec.claimed) == spec.claimed
    if spec.baseline is not None:
        assert rounded_as(baseline["public"][rank_by], spec.baseline) == spec.baseline
        for page, sentence in spec.pages:
            text = " ".join((bundle / "pages" / page).read_text(encoding="utf-8").split())
            assert sentence in text, f"{page} does not say {sentence!r}"


def rounded_as(value: float, claim: float) -> float:
    """`value` rounded to as many decimals as the claim is written with ("about 0.77")."""
    return round(value, len(re.sub(r"^\d+\.?", "", str(claim))))


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_no_page_says_the_baseline_is_on_the_board(bundle: Path) -> None:
    """Nothing puts it there: a loaded challenge starts with an empty board."""
    for page in (bundle / "pages").glob("*.md"):
        text = " ".join(page.read_text(encoding="utf-8").split()).lower()
        for claim in ("already on the board", "già in classifica", "in classifica trovate già"):
            assert claim not in text, page.name


def test_the_kit_keeps_starter_files_at_its_top_and_public_data_beside_them(
    site: TestClient, tmp_path: Path
) -> None:
    """`starter/starter.py` in the bundle is `starter.py` in the kit, next to `data/`."""
    kit = unpack_kit(site, "sea-surface-temperature", tmp_path)
    files = sorted(p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file())
    assert files == ["README.md", "data/test.csv", "data/train.csv", "starter.py"]
