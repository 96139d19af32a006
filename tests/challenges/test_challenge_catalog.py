"""The bundled challenges: each one is valid, reproducible, and its baseline scores as it should.

The baseline's scores are recomputed here with numpy straight from the bundle's hidden files,
independently of the built-in metrics and of the organisers' scoring programs, so a bug in
either (or data that drifted from what the pages promise) shows up as a mismatch.

Project challenges (every phase `kind: project`) have no answers, scoring, leaderboard or
baseline: they are validated and loaded like the others, their scoring checks leave them out for
that reason (the suite treats a skip as a failure, so the scoring tests are parametrised over
SCORED rather than skipping), and tests/challenges/test_project_challenges.py checks what they
have instead.

The generated challenges keep their hidden files out of the repository: the session's hidden
files are made as a site makes them (`prepare_catalog`, a secret random seed, into a data
folder), so every run recomputes the scores on judged data nobody has seen before.
"""

from __future__ import annotations

import csv
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ruamel.yaml import YAML

from app.bundles import Challenge, validate_bundle
from app.bundles.catalog import GENERATOR, prepare_catalog
from app.queue.judge_request import FileSource, build_request, materialise
from judging import JudgeResult, judge

CATALOG = Path(__file__).resolve().parents[2] / "challenges"
BUNDLES = sorted(p.parent for p in CATALOG.glob("*/challenge.yaml"))
GENERATED = [b for b in BUNDLES if (b / GENERATOR).exists()]
ROLE_OF = {"reference": "reference", "inputs": "input"}
Expected = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Files:
    """A catalog bundle's files: in the bundle, or among its hidden files supplied apart."""

    bundle: Path
    hidden: Path | None = None

    def __call__(self, rel: str) -> Path:
        if self.hidden is not None and (self.hidden / rel).exists():
            return self.hidden / rel
        return self.bundle / rel

    @property
    def name(self) -> str:
        return self.bundle.name


def catalog_files(data_dir: Path) -> dict[str, Files]:
    """The catalog as a site loads it, with the hidden files made in `data_dir`."""
    return {e.bundle.name: Files(e.bundle, e.hidden) for e in prepare_catalog(CATALOG, data_dir)}


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Files]:
    return catalog_files(tmp_path_factory.mktemp("catalog-site"))


def config_of(bundle: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((bundle / "challenge.yaml").read_text())
    return loaded


def is_project_only(bundle: Path) -> bool:
    """Every phase is a project phase: judges review projects, nothing is scored."""
    return all(phase["kind"] == "project" for phase in config_of(bundle)["phases"])


def challenge_of(bundle: Path) -> Challenge:
    return Challenge.model_validate(config_of(bundle))


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def bundle_named(slug: str) -> Path:
    return CATALOG / slug


# Project challenges have no scoring, baseline or answers: the scoring checks run on SCORED.
PROJECTS = [b for b in BUNDLES if is_project_only(b)]
SCORED = [b for b in BUNDLES if not is_project_only(b)]


def test_scored_and_project_challenges_make_the_whole_catalog() -> None:
    assert sorted(SCORED + PROJECTS) == BUNDLES and not set(SCORED) & set(PROJECTS)


# -- the catalog as a whole --------------------------------------------------------------------


def test_catalog_has_the_promised_mix() -> None:
    challenges = [challenge_of(b) for b in SCORED]
    builtin = [c for c in challenges if c.scoring is not None and c.scoring.builtin is not None]
    code = [c for c in challenges if any(str(p.kind) == "code" for p in c.phases)]
    assert len(challenges) >= 4
    assert len(builtin) >= 2, "at least two prediction challenges on real data"
    assert len(code) >= 1, "at least one code challenge with a scoring program"
    assert all(c.scoring is not None and c.scoring.program is not None for c in code)
    assert len(PROJECTS) >= 2, "at least two project challenges that a jury judges"


def test_every_bundled_challenge_says_it_is_demo_content() -> None:
    assert [b.name for b in BUNDLES if not challenge_of(b).demo] == []


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_bundle_is_valid(bundle: Path, catalog: dict[str, Files]) -> None:
    files = catalog[bundle.name]
    with validate_bundle(bundle, hidden=files.hidden) as report:
        assert [str(e) for e in report.errors] == []
        assert report.ok
        assert report.challenge is not None and report.challenge.slug == bundle.name
    config = config_of(bundle)
    for page in config["pages"].values():
        for language in ("it", "en"):
            text = (bundle / page[language]).read_text(encoding="utf-8")
            assert text.startswith("# "), f"{page[language]} has no title"
    for role in ("public", "reference", "inputs"):
        for item in config.get("data", {}).get(role, []):
            assert files(item["path"]).is_file(), item["path"]
    if is_project_only(bundle):  # nothing to run or score: no kit, no baseline, no answers
        assert {"starter_kit", "baseline", "scoring", "leaderboard"}.isdisjoint(config)
        return
    assert (bundle / config["starter_kit"]).is_dir()
    assert (bundle / config["baseline"]).exists()


def _hidden_paths(bundle: Path) -> list[str]:
    data = config_of(bundle)["data"]
    return [item["path"] for role in ("reference", "inputs") for item in data.get(role, [])]


@pytest.mark.parametrize("bundle", GENERATED, ids=lambda b: b.name)
def test_the_repository_holds_no_hidden_file_of_a_generated_challenge(bundle: Path) -> None:
    """Without its hidden files the bundle says exactly which are missing, and where."""
    hidden = _hidden_paths(bundle)
    assert hidden and not any((bundle / rel).exists() for rel in hidden)
    text = (bundle / "challenge.yaml").read_text(encoding="utf-8").splitlines()
    with validate_bundle(bundle) as report:
        located = [(e.file, e.line, e.column, "--hidden PATH" in e.hint) for e in report.errors]
    expected = []
    for rel in hidden:
        line = next(i for i, t in enumerate(text, start=1) if f"path: {rel}" in t)
        expected.append(("challenge.yaml", line, text[line - 1].index(rel) + 1, True))
    assert located == expected


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: b.name)
def test_the_data_page_names_source_and_licence(bundle: Path) -> None:
    """Real data need their source and licence on the page; generated data say so and how."""
    config = config_of(bundle)
    secret = {"it": "segreto", "en": "secret"}
    for language in ("it", "en"):
        page = (bundle / config["pages"]["data"][language]).read_text(encoding="utf-8").lower()
        assert "licen" in page
        if is_project_only(bundle):  # no data shipped: the sources are named, with the rules
            open_word = {"it": "apert", "en": "open"}
            personal = {"it": "nessun dato personale", "en": "no personal data"}
            assert open_word[language] in page and personal[language] in page
        elif (bundle / GENERATOR).exists():
            assert "generate.py" in page and "20261122" in page and secret[language] in page
        else:
            assert "extract.py" in page and ".whl" in page


@pytest.mark.parametrize("bundle", SCORED, ids=lambda b: b.name)
def test_reference_split_has_both_parts(bundle: Path, catalog: dict[str, Files]) -> None:
    files = catalog[bundle.name]
    config = config_of(bundle)
    builtin = config["scoring"].get("builtin")
    if builtin:
        rows = read_rows(files(config["data"]["reference"][0]["path"]))
        splits = [r[builtin["split_column"]] for r in rows]
    else:
        table = "scenarios.csv" if files("reference/scenarios.csv").exists() else "nights.csv"
        splits = [r["split"] for r in read_rows(files(f"reference/{table}"))]
    assert set(splits) == {"public", "private"}
    assert 0.3 <= splits.count("public") / len(splits) <= 0.5


PUBLIC_OUTPUTS = ("data", "starter", "scoring")


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def _generate(bundle: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "MAREA_HIDDEN_SEED"} | env
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        cwd=bundle,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("bundle", GENERATED, ids=lambda b: b.name)
def test_generator_reproduces_the_committed_public_files(bundle: Path, tmp_path: Path) -> None:
    """The public seed rewrites every public data file and starter copy byte for byte."""
    copy = tmp_path / bundle.name
    shutil.copytree(bundle, copy)
    shutil.rmtree(copy / "data")
    for name in ("score.py", "main.py"):
        (copy / "starter" / name).unlink()
    for table in (copy / "scoring").glob("*.csv"):
        table.unlink()
    _generate(copy)
    for folder in PUBLIC_OUTPUTS:
        compared = filecmp.dircmp(bundle / folder, copy / folder, ignore=["__pycache__"])
        assert compared.left_only == compared.right_only == [], folder
        names = [p.name for p in (bundle / folder).iterdir() if p.is_file()]
        _, mismatch, errors = filecmp.cmpfiles(bundle / folder, copy / folder, names, shallow=False)
        assert mismatch == errors == [], f"{folder}: {mismatch or errors}"
    assert not any((copy / rel).exists() for rel in _hidden_paths(bundle))


@pytest.mark.parametrize("bundle", GENERATED, ids=lambda b: b.name)
def test_the_hidden_part_comes_from_a_secret_seed(bundle: Path, tmp_path: Path) -> None:
    """Random unless MAREA_HIDDEN_SEED is set, never printed, never written into the bundle."""
    before = _tree_digest(bundle)
    runs = {
        "a": _generate(bundle, "--hidden", str(tmp_path / "a")),
        "b": _generate(bundle, "--hidden", str(tmp_path / "b")),
        "c": _generate(bundle, "--hidden", str(tmp_path / "c"), MAREA_HIDDEN_SEED="271828"),
        "d": _generate(bundle, "--hidden", str(tmp_path / "d"), MAREA_HIDDEN_SEED="271828"),
    }
    assert _tree_digest(bundle) == before, "the hidden part must not touch the bundle"
    digests = {name: _tree_digest(tmp_path / name) for name in runs}
    assert digests["a"] != digests["b"], "without a seed, each site gets its own judged data"
    assert digests["c"] == digests["d"], "a given seed makes the same data again"
    for name, run in runs.items():
        assert "271828" not in run.stdout + run.stderr
        hidden = tmp_path / name
        assert sorted(_hidden_paths(bundle)) == sorted(
            p.relative_to(hidden).as_posix() for p in hidden.rglob("*") if p.is_file()
        )
        for part in _public_parts(hidden):  # the split is not printed either
            assert part not in run.stdout + run.stderr


def _public_parts(hidden: Path) -> list[str]:
    weeks = hidden / "reference" / "scenarios.csv"
    if weeks.exists():
        return [r["scenario"] for r in read_rows(weeks) if r["split"] == "public"]
    nights = read_rows(hidden / "reference" / "nights.csv")
    return [r["night"] for r in nights if r["split"] == "public"]


@pytest.mark.parametrize("bundle", GENERATED, ids=lambda b: b.name)
def test_inputs_carry_only_what_a_program_needs(bundle: Path, catalog: dict[str, Files]) -> None:
    """No input is a reference file: the columns the answers add are missing from the inputs."""
    files = catalog[bundle.name]
    data = config_of(bundle)["data"]
    inputs = {Path(i["path"]).name: files(i["path"]) for i in data["inputs"]}
    reference = {Path(r["path"]).name: files(r["path"]) for r in data["reference"]}
    for name, answers in reference.items():
        assert all(answers.read_bytes() != i.read_bytes() for i in inputs.values()), name
        if name in inputs:
            hidden_columns = set(read_rows(answers)[0]) - set(read_rows(inputs[name])[0])
            assert hidden_columns, f"{name}: the reference adds nothing to the input"
    hidden_by_bundle = {
        "port-berth-scheduling": {"ships.csv": {"arrival_h"}},
        "waterfront-smart-lighting": {"nights.csv": {"split"}, "pedestrians.csv": {"pedestrians"}},
    }
    for name, columns in hidden_by_bundle[bundle.name].items():
        assert columns <= set(read_rows(reference[name])[0])
        assert not columns & set(read_rows(inputs[name])[0])


# -- independent recomputation of the scores ---------------------------------------------------


def builtin_expected(files: Files, predictions: Path) -> Expected:
    config = config_of(files.bundle)
    builtin = config["scoring"]["builtin"]
    reference = read_rows(files(config["data"]["reference"][0]["path"]))
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


def berth_expected(files: Files, plan_path: Path) -> Expected:
    """The plan is feasible on the ETAs; then each berth runs its ships in the planned order
    with the real arrivals, and waiting = real start - real arrival."""
    ships = {s["ship_id"]: s for s in read_rows(files("reference/ships.csv"))}
    berths = {b["berth_id"]: b for b in read_rows(files("scoring/berths.csv"))}
    split_of = {r["scenario"]: r["split"] for r in read_rows(files("reference/scenarios.csv"))}
    plan = read_rows(plan_path)
    assert sorted(p["ship_id"] for p in plan) == sorted(ships)
    planned = np.array([float(p["start_h"]) for p in plan])
    eta = np.array([float(ships[p["ship_id"]]["eta_h"]) for p in plan])
    arrival = np.array([float(ships[p["ship_id"]]["arrival_h"]) for p in plan])
    moves = np.array([float(ships[p["ship_id"]]["moves"]) for p in plan])
    cranes = np.array([float(berths[p["berth_id"]]["cranes"]) for p in plan])
    hours = moves / (cranes * 25.0)
    assert np.all(planned >= eta - 1e-3)
    start = np.zeros(len(plan))
    for key in {(ships[p["ship_id"]]["scenario"], p["berth_id"]) for p in plan}:
        on = np.flatnonzero(
            [ships[p["ship_id"]]["scenario"] == key[0] and p["berth_id"] == key[1] for p in plan]
        )
        order = on[np.lexsort(([plan[i]["ship_id"] for i in on], planned[on]))]
        assert np.all(planned[order][1:] >= (planned + hours)[order][:-1] + 1.0 - 1e-3)
        ready = -np.inf
        for i in order:  # the terminal's day: one ship after the other
            start[i] = max(planned[i], arrival[i], ready)
            ready = start[i] + hours[i] + 1.0
    wait = start - arrival
    part = np.array([split_of[ships[p["ship_id"]]["scenario"]] for p in plan])
    return {
        s: {"waiting_h": float(wait[part == s].sum()), "max_wait_h": float(wait[part == s].max())}
        for s in ("public", "private")
    }


def lighting_expected(files: Files, plan_path: Path) -> Expected:
    segments = {s["segment"]: s for s in read_rows(files("scoring/segments.csv"))}
    split_of = {r["night"]: r["split"] for r in read_rows(files("reference/nights.csv"))}
    level_of = {
        (p["night"], p["segment"], p["slot"]): float(p["level"]) for p in read_rows(plan_path)
    }
    counts = read_rows(files("reference/pedestrians.csv"))
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


RECOMPUTE: dict[str, Callable[[Files, Path], Expected]] = {
    "port-berth-scheduling": berth_expected,
    "waterfront-smart-lighting": lighting_expected,
}


def judge_bundle(
    files: Files, submission: Path, work: Path, image: str, labels: dict[str, str]
) -> JudgeResult:
    """Judge as the platform does: files laid out per role, the request built by the app."""
    bundle = files.bundle
    config = config_of(bundle)
    sources = [
        FileSource(ROLE_OF[role], item["path"], files(item["path"]))
        for role in ROLE_OF
        for item in config["data"].get(role, [])
    ]
    program = config["scoring"].get("program")
    if program:
        folder = bundle / program["path"]
        sources += [
            FileSource("scoring", str(p.relative_to(bundle)), p)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
        ]
    dirs = materialise(sources, work / "challenge")
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
@pytest.mark.parametrize("bundle", SCORED, ids=lambda b: b.name)
def test_baseline_scores_what_numpy_computes(
    bundle: Path,
    tmp_path: Path,
    runner_image: str,
    labels: dict[str, str],
    catalog: dict[str, Files],
) -> None:
    files = catalog[bundle.name]
    result = judge_bundle(files, submission_of(bundle, tmp_path), tmp_path, runner_image, labels)
    assert result.status == "scored", (result.message, result.logs.to_json())
    if bundle.name in RECOMPUTE:
        assert result.predictions_path is not None
        expected = RECOMPUTE[bundle.name](files, result.predictions_path)
    else:
        expected = builtin_expected(files, submission_of(bundle, tmp_path))
    for part in ("public", "private"):
        assert result.scores[part] == pytest.approx(expected[part], rel=1e-9, abs=1e-5), part


# -- scoring programs tell the team what is wrong ----------------------------------------------


def run_scorer(files: Files, plan: Path, tmp_path: Path) -> dict[str, Any]:
    """Run the organisers' program as the scoring container does (same variables, own folder)."""
    scores = tmp_path / "scores.json"
    env = {
        **os.environ,
        "MAREA_PREDICTIONS_FILE": str(plan),
        "MAREA_REFERENCE_DIR": str((files.hidden or files.bundle) / "reference"),
        "MAREA_SCORES_FILE": str(scores),
    }
    subprocess.run(
        [sys.executable, "score.py"],
        cwd=files.bundle / "scoring",
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


def berth_plan_all_at_eta(files: Files) -> list[dict[str, str]]:
    """Every ship at the deepest, longest berth the moment it is due: overlaps are certain."""
    berths = read_rows(files("data/berths.csv"))
    biggest = max(berths, key=lambda b: (float(b["depth_m"]), int(b["length_m"])))
    return [
        {
            "scenario": s["scenario"],
            "ship_id": s["ship_id"],
            "berth_id": biggest["berth_id"],
            "start_h": s["eta_h"],
        }
        for s in read_rows(files("inputs/ships.csv"))
    ]


def test_berth_scorer_rejects_overlapping_ships(tmp_path: Path, catalog: dict[str, Files]) -> None:
    files = catalog["port-berth-scheduling"]
    plan = write_rows(tmp_path / "plan.csv", berth_plan_all_at_eta(files))
    answer = run_scorer(files, plan, tmp_path)
    assert set(answer) == {"invalid"}
    assert "change over" in answer["invalid"]


def test_berth_scorer_rejects_a_ship_that_starts_before_its_eta(
    tmp_path: Path, catalog: dict[str, Files]
) -> None:
    files = catalog["port-berth-scheduling"]
    rows = berth_plan_all_at_eta(files)
    rows[3]["start_h"] = str(float(rows[3]["start_h"]) - 2)
    answer = run_scorer(files, write_rows(tmp_path / "plan.csv", rows), tmp_path)
    assert answer["line"] == 5
    assert "before it arrives (ETA" in answer["invalid"]


def test_berth_scorer_plays_late_ships_as_they_really_arrive(
    tmp_path: Path, catalog: dict[str, Files]
) -> None:
    """The baseline plans on ETAs; some ships arrive late, so the real waiting differs."""
    files = catalog["port-berth-scheduling"]
    ships = read_rows(files("reference/ships.csv"))
    late = [s for s in ships if float(s["arrival_h"]) > float(s["eta_h"]) + 1]
    assert len(late) >= len(ships) // 10, "a share of the judged ships is late"
    out = tmp_path / "out"
    env = {**os.environ, "MAREA_INPUT_DIR": str(files("inputs/ships.csv").parent),
           "MAREA_OUTPUT_DIR": str(out)}  # fmt: skip
    subprocess.run([sys.executable, "main.py"], cwd=files.bundle / "baseline", env=env,
                   check=True, capture_output=True)  # fmt: skip
    answer = run_scorer(files, out / "predictions.csv", tmp_path)
    on_eta = sum(float(p["start_h"]) for p in read_rows(out / "predictions.csv")) - sum(
        float(s["eta_h"]) for s in ships
    )
    real = answer["public"]["waiting_h"] + answer["private"]["waiting_h"]
    assert real == pytest.approx(
        sum(berth_expected(files, out / "predictions.csv")[p]["waiting_h"] for p in answer)
    )
    assert real != pytest.approx(on_eta)


def lighting_plan(files: Files, level: str) -> list[dict[str, str]]:
    return [
        {"night": r["night"], "segment": r["segment"], "slot": r["slot"], "level": level}
        for r in read_rows(files("inputs/pedestrians.csv"))
    ]


def test_lighting_scorer_rejects_levels_below_the_driver_minimum(
    tmp_path: Path, catalog: dict[str, Files]
) -> None:
    files = catalog["waterfront-smart-lighting"]
    rows = lighting_plan(files, "0.5")
    rows[9]["level"] = "0.05"
    answer = run_scorer(files, write_rows(tmp_path / "plan.csv", rows), tmp_path)
    assert answer["line"] == 11
    assert "outside" in answer["invalid"]


def test_lighting_scorer_rejects_a_plan_with_missing_slots(
    tmp_path: Path, catalog: dict[str, Files]
) -> None:
    files = catalog["waterfront-smart-lighting"]
    rows = lighting_plan(files, "1.0")[:-1]
    answer = run_scorer(files, write_rows(tmp_path / "plan.csv", rows), tmp_path)
    assert set(answer) == {"invalid"}
    assert "no level" in answer["invalid"]


def test_lighting_full_power_is_safe_and_dimming_everything_is_not(
    tmp_path: Path, catalog: dict[str, Files]
) -> None:
    """The trade-off the challenge is about exists in the data: neither extreme wins."""
    files = catalog["waterfront-smart-lighting"]
    full = run_scorer(
        files, write_rows(tmp_path / "full.csv", lighting_plan(files, "1.0")), tmp_path
    )
    low = run_scorer(files, write_rows(tmp_path / "low.csv", lighting_plan(files, "0.1")), tmp_path)
    assert full["public"]["underlit_passages"] == 0
    assert low["public"]["underlit_passages"] > 0
    assert low["public"]["energy_kwh"] < full["public"]["energy_kwh"]
    assert low["public"]["cost_eur"] > full["public"]["cost_eur"]
