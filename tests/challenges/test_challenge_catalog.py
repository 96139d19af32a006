"""The bundled challenges: each one is valid, reproducible, and its baseline scores as it should.

The baseline's scores are recomputed here with numpy straight from the bundle's hidden files,
independently of the built-in metrics and of the organisers' scoring programs, so a bug in
either (or data that drifted from what the pages promise) shows up as a mismatch.
"""

from __future__ import annotations

import csv
import filecmp
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ruamel.yaml import YAML

from app.bundles import Challenge, validate_bundle
from app.judgement import FileSource, build_request, materialise
from judging import JudgeResult, judge

CATALOG = Path(__file__).resolve().parents[2] / "challenges"
BUNDLES = sorted(p.parent for p in CATALOG.glob("*/challenge.yaml"))
ROLE_OF = {"reference": "reference", "inputs": "input"}
Expected = dict[str, dict[str, float]]


def config_of(bundle: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((bundle / "challenge.yaml").read_text())
    return loaded


def challenge_of(bundle: Path) -> Challenge:
    return Challenge.model_validate(config_of(bundle))


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def bundle_named(slug: str) -> Path:
    return CATALOG / slug


# -- the catalog as a whole --------------------------------------------------------------------


def test_catalog_has_the_promised_mix() -> None:
    challenges = [challenge_of(b) for b in BUNDLES]
    builtin = [c for c in challenges if c.scoring.builtin is not None]
    code = [c for c in challenges if any(str(p.kind) == "code" for p in c.phases)]
    assert len(challenges) >= 4
    assert len(builtin) >= 2, "at least two prediction challenges on real data"
    assert len(code) >= 1, "at least one code challenge with a scoring program"
    assert all(c.scoring.program is not None for c in code)


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_bundle_is_valid(bundle: Path) -> None:
    with validate_bundle(bundle) as report:
        assert [str(e) for e in report.errors] == []
        assert report.ok
        assert report.challenge is not None and report.challenge.slug == bundle.name
    config = config_of(bundle)
    for page in config["pages"].values():
        for language in ("it", "en"):
            text = (bundle / page[language]).read_text(encoding="utf-8")
            assert text.startswith("# "), f"{page[language]} has no title"
    for role in ("public", "reference", "inputs"):
        for item in config["data"].get(role, []):
            assert (bundle / item["path"]).is_file(), item["path"]
    assert (bundle / config["starter_kit"]).is_dir()
    assert (bundle / config["baseline"]).exists()


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_the_data_page_names_source_and_licence(bundle: Path) -> None:
    """Real data need their source and licence on the page; generated data say so and how."""
    config = config_of(bundle)
    for language in ("it", "en"):
        page = (bundle / config["pages"]["data"][language]).read_text(encoding="utf-8").lower()
        assert "licen" in page
        if (bundle / "tools/generate.py").exists():
            assert "generate.py" in page and "20261122" in page
        else:
            assert "extract.py" in page and ".whl" in page


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_reference_split_has_both_parts(bundle: Path) -> None:
    config = config_of(bundle)
    builtin = config["scoring"].get("builtin")
    if builtin:
        rows = read_rows(bundle / config["data"]["reference"][0]["path"])
        splits = [r[builtin["split_column"]] for r in rows]
    else:
        table = "scenarios.csv" if (bundle / "reference/scenarios.csv").exists() else "nights.csv"
        splits = [r["split"] for r in read_rows(bundle / "reference" / table)]
    assert set(splits) == {"public", "private"}
    assert 0.3 <= splits.count("public") / len(splits) <= 0.5


GENERATED = [b for b in BUNDLES if (b / "tools/generate.py").exists()]


@pytest.mark.parametrize("bundle", GENERATED, ids=lambda b: b.name)
def test_generator_reproduces_the_committed_files(bundle: Path, tmp_path: Path) -> None:
    """The seeded generator rewrites every data file and starter copy byte for byte."""
    copy = tmp_path / bundle.name
    shutil.copytree(bundle, copy)
    for folder in ("data", "inputs", "reference"):
        shutil.rmtree(copy / folder)
    for name in ("score.py", "main.py"):
        (copy / "starter" / name).unlink()
    subprocess.run([sys.executable, "tools/generate.py"], cwd=copy, check=True, capture_output=True)
    for folder in ("data", "inputs", "reference", "starter"):
        compared = filecmp.dircmp(bundle / folder, copy / folder)
        assert compared.left_only == compared.right_only == [], folder
        names = [p.name for p in (bundle / folder).iterdir() if p.is_file()]
        _, mismatch, errors = filecmp.cmpfiles(bundle / folder, copy / folder, names, shallow=False)
        assert mismatch == errors == [], f"{folder}: {mismatch or errors}"


# -- independent recomputation of the scores ---------------------------------------------------


def builtin_expected(bundle: Path, predictions: Path) -> Expected:
    config = config_of(bundle)
    builtin = config["scoring"]["builtin"]
    reference = read_rows(bundle / config["data"]["reference"][0]["path"])
    predicted = {
        r[builtin["id_column"]]: float(r[builtin["prediction_column"]])
        for r in read_rows(predictions)
    }
    expected: Expected = {}
    for part in ("public", "private"):
        rows = [r for r in reference if r[builtin["split_column"]] == part]
        truth = np.array([float(r[builtin["target_column"]]) for r in rows])
        guess = np.array([predicted[r[builtin["id_column"]]] for r in rows])
        error = guess - truth
        by_metric = {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
            "r2": float(1 - np.sum(error**2) / np.sum((truth - truth.mean()) ** 2)),
        }
        expected[part] = {
            c["key"]: by_metric[c["metric"]] for c in config["leaderboard"]["columns"]
        }
    return expected


def berth_expected(bundle: Path, plan_path: Path) -> Expected:
    """Waiting = start - arrival per ship; also re-checks the plan is physically feasible."""
    ships = {s["ship_id"]: s for s in read_rows(bundle / "reference/ships.csv")}
    berths = {b["berth_id"]: b for b in read_rows(bundle / "reference/berths.csv")}
    split_of = {r["scenario"]: r["split"] for r in read_rows(bundle / "reference/scenarios.csv")}
    plan = read_rows(plan_path)
    assert sorted(p["ship_id"] for p in plan) == sorted(ships)
    start = np.array([float(p["start_h"]) for p in plan])
    arrival = np.array([float(ships[p["ship_id"]]["arrival_h"]) for p in plan])
    moves = np.array([float(ships[p["ship_id"]]["moves"]) for p in plan])
    cranes = np.array([float(berths[p["berth_id"]]["cranes"]) for p in plan])
    end = start + moves / (cranes * 25.0)
    assert np.all(start >= arrival - 1e-3)
    for key in {(ships[p["ship_id"]]["scenario"], p["berth_id"]) for p in plan}:
        on = np.array(
            [ships[p["ship_id"]]["scenario"] == key[0] and p["berth_id"] == key[1] for p in plan]
        )
        order = np.argsort(start[on])
        assert np.all(start[on][order][1:] >= end[on][order][:-1] + 1.0 - 1e-3)
    wait = start - arrival
    part = np.array([split_of[ships[p["ship_id"]]["scenario"]] for p in plan])
    return {
        s: {"waiting_h": float(wait[part == s].sum()), "max_wait_h": float(wait[part == s].max())}
        for s in ("public", "private")
    }


def lighting_expected(bundle: Path, plan_path: Path) -> Expected:
    segments = {s["segment"]: s for s in read_rows(bundle / "reference/segments.csv")}
    split_of = {r["night"]: r["split"] for r in read_rows(bundle / "reference/nights.csv")}
    level_of = {
        (p["night"], p["segment"], p["slot"]): float(p["level"]) for p in read_rows(plan_path)
    }
    counts = read_rows(bundle / "reference/pedestrians.csv")
    assert len(level_of) == len(counts)
    level = np.array([level_of[(c["night"], c["segment"], c["slot"])] for c in counts])
    people = np.array([int(c["pedestrians"]) for c in counts])
    watts = np.array(
        [
            int(segments[c["segment"]]["poles"]) * float(segments[c["segment"]]["watt_per_pole"])
            for c in counts
        ]
    )
    lux = np.array([float(segments[c["segment"]]["lux_full"]) for c in counts]) * level
    needed = np.select([people >= 30, people >= 10, people >= 1], [10.0, 7.5, 5.0], 2.0)
    dark = np.where((people > 0) & (lux < needed - 1e-9), people, 0)
    energy = watts * level * 0.25 / 1000
    part = np.array([split_of[c["night"]] for c in counts])
    expected: Expected = {}
    for s in ("public", "private"):
        kwh, passages = float(energy[part == s].sum()), float(dark[part == s].sum())
        expected[s] = {
            "cost_eur": 0.25 * kwh + 0.05 * passages,
            "energy_kwh": kwh,
            "underlit_passages": passages,
        }
    return expected


RECOMPUTE: dict[str, Callable[[Path, Path], Expected]] = {
    "port-berth-scheduling": berth_expected,
    "waterfront-smart-lighting": lighting_expected,
}


def judge_bundle(
    bundle: Path, submission: Path, work: Path, image: str, labels: dict[str, str]
) -> JudgeResult:
    """Judge as the platform does: files laid out per role, the request built by the app."""
    config = config_of(bundle)
    files = [
        FileSource(ROLE_OF[role], item["path"], bundle / item["path"])
        for role in ROLE_OF
        for item in config["data"].get(role, [])
    ]
    program = config["scoring"].get("program")
    if program:
        folder = bundle / program["path"]
        files += [
            FileSource("scoring", str(p.relative_to(bundle)), p)
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        ]
    dirs = materialise(files, work / "challenge")
    request = build_request(config, None, submission, dirs, image, labels)
    return judge(request, workdir=work / "judge")


def submission_of(bundle: Path, tmp_path: Path) -> Path:
    baseline = bundle / str(config_of(bundle)["baseline"])
    if baseline.is_file():
        return baseline
    archive = tmp_path / "baseline.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(baseline.rglob("*")):
            zipped.write(path, path.relative_to(baseline))
    return archive


@pytest.mark.docker
@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_baseline_scores_what_numpy_computes(
    bundle: Path, tmp_path: Path, runner_image: str, labels: dict[str, str]
) -> None:
    result = judge_bundle(bundle, submission_of(bundle, tmp_path), tmp_path, runner_image, labels)
    assert result.status == "scored", (result.message, result.logs.to_json())
    if bundle.name in RECOMPUTE:
        assert result.predictions_path is not None
        expected = RECOMPUTE[bundle.name](bundle, result.predictions_path)
    else:
        expected = builtin_expected(bundle, submission_of(bundle, tmp_path))
    for part in ("public", "private"):
        assert result.scores[part] == pytest.approx(expected[part], rel=1e-9, abs=1e-5), part


# -- scoring programs tell the team what is wrong ----------------------------------------------


def run_scorer(bundle: Path, plan: Path, tmp_path: Path) -> dict[str, Any]:
    """Run the organisers' program as the scoring container does (same variables, own folder)."""
    scores = tmp_path / "scores.json"
    env = {
        **os.environ,
        "MAREA_PREDICTIONS_FILE": str(plan),
        "MAREA_REFERENCE_DIR": str(bundle / "reference"),
        "MAREA_SCORES_FILE": str(scores),
    }
    subprocess.run(
        [sys.executable, "score.py"],
        cwd=bundle / "scoring",
        env=env,
        check=True,
        capture_output=True,
    )
    answer: dict[str, Any] = json.loads(scores.read_text())
    return answer


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def berth_plan_all_at_arrival(bundle: Path) -> list[dict[str, str]]:
    """Every ship at the deepest, longest berth the moment it arrives: overlaps are certain."""
    berths = read_rows(bundle / "reference/berths.csv")
    biggest = max(berths, key=lambda b: (float(b["depth_m"]), int(b["length_m"])))
    return [
        {
            "scenario": s["scenario"],
            "ship_id": s["ship_id"],
            "berth_id": biggest["berth_id"],
            "start_h": s["arrival_h"],
        }
        for s in read_rows(bundle / "reference/ships.csv")
    ]


def test_berth_scorer_rejects_overlapping_ships(tmp_path: Path) -> None:
    bundle = bundle_named("port-berth-scheduling")
    plan = write_rows(tmp_path / "plan.csv", berth_plan_all_at_arrival(bundle))
    answer = run_scorer(bundle, plan, tmp_path)
    assert set(answer) == {"invalid"}
    assert "change over" in answer["invalid"]


def test_berth_scorer_rejects_a_ship_that_starts_before_arriving(tmp_path: Path) -> None:
    bundle = bundle_named("port-berth-scheduling")
    rows = berth_plan_all_at_arrival(bundle)
    rows[3]["start_h"] = str(float(rows[3]["start_h"]) - 2)
    answer = run_scorer(bundle, write_rows(tmp_path / "plan.csv", rows), tmp_path)
    assert answer["line"] == 5
    assert "before it arrives" in answer["invalid"]


def lighting_plan(bundle: Path, level: str) -> list[dict[str, str]]:
    return [
        {"night": r["night"], "segment": r["segment"], "slot": r["slot"], "level": level}
        for r in read_rows(bundle / "inputs/pedestrians.csv")
    ]


def test_lighting_scorer_rejects_levels_below_the_driver_minimum(tmp_path: Path) -> None:
    bundle = bundle_named("waterfront-smart-lighting")
    rows = lighting_plan(bundle, "0.5")
    rows[9]["level"] = "0.05"
    answer = run_scorer(bundle, write_rows(tmp_path / "plan.csv", rows), tmp_path)
    assert answer["line"] == 11
    assert "outside" in answer["invalid"]


def test_lighting_scorer_rejects_a_plan_with_missing_slots(tmp_path: Path) -> None:
    bundle = bundle_named("waterfront-smart-lighting")
    rows = lighting_plan(bundle, "1.0")[:-1]
    answer = run_scorer(bundle, write_rows(tmp_path / "plan.csv", rows), tmp_path)
    assert set(answer) == {"invalid"}
    assert "no level" in answer["invalid"]


def test_lighting_full_power_is_safe_and_dimming_everything_is_not(tmp_path: Path) -> None:
    """The trade-off the challenge is about exists in the data: neither extreme wins."""
    bundle = bundle_named("waterfront-smart-lighting")
    full = run_scorer(
        bundle, write_rows(tmp_path / "full.csv", lighting_plan(bundle, "1.0")), tmp_path
    )
    low = run_scorer(
        bundle, write_rows(tmp_path / "low.csv", lighting_plan(bundle, "0.1")), tmp_path
    )
    assert full["public"]["underlit_passages"] == 0
    assert low["public"]["underlit_passages"] > 0
    assert low["public"]["energy_kwh"] < full["public"]["energy_kwh"]
    assert low["public"]["cost_eur"] > full["public"]["cost_eur"]
