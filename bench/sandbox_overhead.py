"""How much slower is a hardened sandbox run than a bare `docker run --rm --network none`?

A judged code submission is two runs (ingestion, then scoring), so per-run
overhead is what participants wait for. Target: at most 1.2x the bare run.
Usage: .venv/bin/python bench/sandbox_overhead.py [--repeat N] [--image NAME] [--data-dir DIR]
It uses no Redis and no database: only the Docker engine, and a directory for the sandbox's
copied outputs (the system's temporary directory by default, each removed after its run).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sandbox

TARGET_RATIO = 1.2
WORKLOADS: dict[str, tuple[str, ...]] = {
    "true": ("true",),
    "python3 -c 'import numpy'": ("python3", "-c", "import numpy"),
    "python3 -c 'import pandas, sklearn'": ("python3", "-c", "import pandas, sklearn"),
}


def bare(image: str, command: tuple[str, ...]) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image, *command],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def hardened(image: str, command: tuple[str, ...], data_dir: Path | None) -> float:
    output = Path(tempfile.mkdtemp(prefix="marea-output-", dir=data_dir))
    started = time.perf_counter()
    result = sandbox.run(sandbox.RunSpec(image=image, command=command, output_path=output))
    elapsed = time.perf_counter() - started
    shutil.rmtree(result.output_path, ignore_errors=True)
    if result.exit_code != 0:
        raise SystemExit(f"{command} failed in the sandbox: {result.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--image", default=sandbox.DEFAULT_IMAGE)
    parser.add_argument("--data-dir", type=Path, help="Where the runs' outputs go (removed).")
    args = parser.parse_args()
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    ok, message = sandbox.engine_healthy()
    if not ok:
        raise SystemExit(message)
    worst = 0.0
    header = f"{'workload':40} {'bare s':>8} {'sandbox s':>10} {'ratio':>6}"
    print(f"{header}   (median of {args.repeat})")
    for name, command in WORKLOADS.items():
        hardened(args.image, command, args.data_dir)  # warm the page cache for both
        b, h = [], []
        for _ in range(args.repeat):  # interleaved, so drift hits both sides alike
            b.append(bare(args.image, command))
            h.append(hardened(args.image, command, args.data_dir))
        ratio = statistics.median(h) / statistics.median(b)
        worst = max(worst, ratio)
        print(f"{name:40} {statistics.median(b):8.3f} {statistics.median(h):10.3f} {ratio:6.2f}")
    verdict = "within" if worst <= TARGET_RATIO else "ABOVE"
    print(f"worst ratio {worst:.2f}: {verdict} the {TARGET_RATIO}x target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
