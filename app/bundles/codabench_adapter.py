"""Run a Codabench/CodaLab scoring program inside Marea's scoring container.

This file is copied, as it is, into every bundle `marea challenge import codabench` writes
(`scoring/adapter.py`) and runs there with the standard library only: the scoring image has
no Marea installed. It gives the organisers' program the layout Codabench gives it
(`/app/input/ref`, `/app/input/res`, `/app/output`, `/app/program`, and the argv of its
metadata `command`), rewritten under a private temporary folder because the container's
`/app` is not ours to write. It runs the program once per part of the board (`public`, then
`private`, each with its own reference folder), reads `scores.json` or `scores.txt`, and writes
the JSON Marea reads from `$MAREA_SCORES_FILE`.

Configuration: `codabench.json` next to this file:
    {"command": "python3 /app/program/score.py /app/input /app/output",
     "columns": {"codabench key": "marea_key", ...},
     "reference": {"public": "public", "private": "private"}}
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
MAX_UNPACKED = 512 * 1024 * 1024


def parse_scores_txt(text: str) -> dict[str, float]:
    """CodaLab's `scores.txt`: one `key: value` per line (blank and malformed lines skipped)."""
    scores: dict[str, float] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        try:
            scores[key.strip()] = float(value.strip())
        except ValueError:
            continue
    return scores


def read_program_scores(output: Path) -> dict[str, float] | None:
    """What the program wrote: scores.json first (Codabench), else scores.txt (CodaLab)."""
    as_json = output / "scores.json"
    if as_json.is_file():
        raw = json.loads(as_json.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            return None
        scores: dict[str, float] = {}
        for key, value in raw.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                scores[str(key)] = float(value)
            elif isinstance(value, str):
                try:
                    scores[str(key)] = float(value)
                except ValueError:
                    continue
        return scores
    as_txt = output / "scores.txt"
    if as_txt.is_file():
        return parse_scores_txt(as_txt.read_text(encoding="utf-8"))
    return None


def to_marea(found: dict[str, float], columns: dict[str, str]) -> dict[str, float] | str:
    """Only the leaderboard's columns, under Marea's keys; a missing one is an error (Codabench
    would silently leave the column empty)."""
    part: dict[str, float] = {}
    for codabench_key, marea_key in columns.items():
        if codabench_key not in found:
            return f"the scoring program wrote no score for column '{codabench_key}'"
        value = found[codabench_key]
        if not math.isfinite(value):
            return f"the scoring program wrote a non-finite score for column '{codabench_key}'"
        part[marea_key] = value
    return part


def argv(command: str, root: Path) -> list[str]:
    """Codabench's command with its /app paths and CodaLab's $program/$input/$output moved."""
    words = []
    for word in shlex.split(command):
        word = word.replace("$program", f"{root}/program").replace("$input", f"{root}/input")
        word = word.replace("$output", f"{root}/output").replace("$shared", f"{root}/shared")
        if word == "/app" or word.startswith("/app/"):
            word = str(root) + word[len("/app") :]
        words.append(word)
    if words and words[0] == "python":
        words[0] = sys.executable
    return words


def unpack_predictions(predictions: Path, res: Path) -> None:
    """A results submission is a zip of files (as on Codabench); anything else is one file."""
    if not zipfile.is_zipfile(predictions):
        shutil.copyfile(predictions, res / predictions.name)
        return
    total = 0
    with zipfile.ZipFile(predictions) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
                raise ValueError(f"the zip member '{info.filename}' has an unsafe path")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise ValueError(f"the zip member '{info.filename}' is a symbolic link")
            total += info.file_size
            if total > MAX_UNPACKED:
                raise ValueError("the zip unpacks to more than 512 MiB")
            if info.is_dir():
                continue
            target = res.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)


def score_part(
    config: dict[str, object], reference: Path, predictions: Path, program: Path
) -> dict[str, float] | str:
    """One run of the organisers' program; a string says why the submission is invalid."""
    with tempfile.TemporaryDirectory(prefix="codabench-") as tmp:
        root = Path(tmp)
        (root / "input").mkdir()
        (root / "output").mkdir()
        (root / "shared").mkdir()
        shutil.copytree(reference, root / "input" / "ref")
        res = root / "input" / "res"
        res.mkdir()
        try:
            unpack_predictions(predictions, res)
        except (ValueError, zipfile.BadZipFile) as exc:
            return f"invalid: {exc}"
        shutil.copytree(program, root / "program")
        done = subprocess.run(argv(str(config["command"]), root), cwd=root / "program", check=False)
        if done.returncode != 0:
            return (
                f"invalid: the scoring program could not score this submission "
                f"(exit code {done.returncode})"
            )
        found = read_program_scores(root / "output")
        if found is None:
            return "error: the scoring program wrote neither scores.json nor scores.txt"
        columns = config["columns"]
        assert isinstance(columns, dict)
        part = to_marea(found, columns)
        return part if isinstance(part, dict) else "error: " + part


def main() -> int:
    config = json.loads((HERE / "codabench.json").read_text(encoding="utf-8"))
    reference_root = Path(os.environ["MAREA_REFERENCE_DIR"])
    predictions = Path(os.environ["MAREA_PREDICTIONS_FILE"])
    scores_file = Path(os.environ["MAREA_SCORES_FILE"])
    program = HERE / "program"
    answer: dict[str, object] = {}
    for part, folder in config["reference"].items():
        # Marea mounts the reference files without their common folder (reference/public/x
        # arrives as public/x); a local run may keep it. Take whichever exists.
        reference = reference_root / folder
        if not reference.is_dir() and (reference_root / "reference" / folder).is_dir():
            reference = reference_root / "reference" / folder
        result = score_part(config, reference, predictions, program)
        if isinstance(result, str):
            kind, _, message = result.partition(": ")
            key = "invalid" if kind == "invalid" else "scoring_error"
            scores_file.write_text(json.dumps({key: message}), encoding="utf-8")
            return 0
        answer[part] = result
    scores_file.write_text(json.dumps(answer), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
