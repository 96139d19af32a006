"""Sandbox overhead per judged code submission (issue 3, benchmark a).

Judges the port-berth-scheduling baseline (a program: ingestion, then the
organisers' scoring program) with `judging.judge`, and runs the same two
commands with bare `docker run --rm --network none` and the same mounts.
Prints both times and their ratio from one run (interleaved, median of N);
target: at most 1.2x.

Run:  .venv/bin/python bench/judge_overhead.py [--repeat 7] [--data-dir DIR]
It uses no Redis and no database: only the Docker engine and a work directory (a fresh
temporary one by default, removed afterwards; --data-dir names one, kept).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sandbox  # noqa: E402
from app.bundles import load_bundle  # noqa: E402
from app.bundles.catalog import prepare_catalog  # noqa: E402
from app.queue.judge_request import FileSource, build_request, materialise  # noqa: E402
from judging.pipeline import judge  # noqa: E402

BUNDLE = ROOT / "challenges" / "port-berth-scheduling"


def bare(image: str, work: Path, program: Path, dirs_input: Path, reference: Path, scoring: Path,
         command: list[str], scoring_command: list[str]) -> float:  # fmt: skip
    out = work / "bare-out"
    scores = work / "bare-scores"
    for d in (out, scores):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        d.chmod(0o777)
    started = time.perf_counter()
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--user", "1000:1000",
         "-v", f"{program}:/submission:ro", "-v", f"{dirs_input}:/inputs:ro", "-v", f"{out}:/output",
         "-e", "MAREA_INPUT_DIR=/inputs", "-e", "MAREA_OUTPUT_DIR=/output",
         "-e", "MAREA_PREDICTIONS_FILE=/output/predictions.csv", "-w", "/submission",
         image, *command],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--user", "1000:1000",
         "-v", f"{out}:/predictions:ro", "-v", f"{reference}:/reference:ro",
         "-v", f"{scoring}:/scoring:ro", "-v", f"{scores}:/output",
         "-e", "MAREA_PREDICTIONS_FILE=/predictions/predictions.csv",
         "-e", "MAREA_REFERENCE_DIR=/reference", "-e", "MAREA_SCORES_FILE=/output/scores.json",
         "-w", "/scoring", image, *scoring_command],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if not (scores / "scores.json").exists():
        raise SystemExit("the bare run wrote no scores")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--image", default=sandbox.DEFAULT_IMAGE)
    parser.add_argument("--data-dir", type=Path, help="Work directory (kept afterwards).")
    args = parser.parse_args()
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="marea-overhead-", dir=args.data_dir))
    # The bundle keeps its judged weeks out of the repository: make a set, as a site does.
    (entry,) = [e for e in prepare_catalog(BUNDLE.parent, work / "var") if e.bundle == BUNDLE]
    with load_bundle(BUNDLE, hidden=entry.hidden) as bundle:
        config = bundle.challenge.model_dump(mode="json")
        dirs = materialise(
            [FileSource(f.role, f.path, bundle.path_of(f)) for f in bundle.files],
            work / "challenge",
        )
    program = BUNDLE / "baseline"
    archive = Path(shutil.make_archive(str(work / "submission"), "zip", program))
    request = build_request(config, None, archive, dirs, args.image)
    assert request.ingestion is not None
    scoring_cfg = config["scoring"]["program"]
    marea: list[float] = []
    raw: list[float] = []
    for i in range(args.repeat + 1):  # the first round warms caches and is not counted
        started = time.perf_counter()
        result = judge(request, workdir=work / f"judge-{i}")
        elapsed = time.perf_counter() - started
        if result.status != "scored":
            raise SystemExit(f"the baseline did not score: {result.message}")
        b = bare(args.image, work, program, dirs.inputs, dirs.reference,
                 dirs.scoring / scoring_cfg["path"], list(request.ingestion.command),
                 list(scoring_cfg["command"]))  # fmt: skip
        if i:
            marea.append(elapsed)
            raw.append(b)
    ratio = statistics.median(marea) / statistics.median(raw)
    print(f"judged code submission (ingestion + scoring), median of {args.repeat}:")
    print(f"  bare docker run x2: {statistics.median(raw):.3f} s")
    print(f"  marea judge():      {statistics.median(marea):.3f} s")
    print(f"  ratio {ratio:.2f} (target <= 1.2)")
    if args.data_dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
