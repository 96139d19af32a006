"""From a challenge's configuration and files to a `judging.JudgeRequest`.

Shared by the queue job (files come from the store) and `marea judge` (files
come from a bundle on disk), so both judge exactly alike. The hidden files
are laid out per role in separate directories, so the scoring container gets
the reference data and nothing else, and a code submission gets the test
inputs and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from app.challenges.compute import phase_gpus
from app.submissions.log_policy import log_policy
from judging import (
    BuiltinScoring,
    ColumnSpec,
    IngestionSpec,
    JudgeRequest,
    ProgramScoring,
    ScoringSpec,
)

ROLES_FOR_JUDGING = ("reference", "input", "scoring")


@dataclass(frozen=True)
class FileSource:
    role: str
    path: str  # path inside the bundle, e.g. "reference/answers.csv"
    source: Path  # where the bytes are on this machine


@dataclass(frozen=True)
class ChallengeDirs:
    """One directory per role.

    Reference and input files sit at their path below the folder that holds
    them all, so `inputs/ships.csv` is `$MAREA_INPUT_DIR/ships.csv`, as the
    challenge pages tell participants; scoring files keep their bundle paths,
    since the program's folder is named in challenge.yaml.
    """

    reference: Path
    inputs: Path
    scoring: Path
    reference_prefix: str = ""

    def reference_path(self, bundle_path: str) -> str:
        """Where a reference file named in challenge.yaml sits inside `reference`."""
        return _strip(bundle_path, self.reference_prefix)


FLATTENED_ROLES = ("reference", "input")


def _strip(path: str, prefix: str) -> str:
    return path[len(prefix) + 1 :] if prefix and path.startswith(prefix + "/") else path


def _common_folder(paths: list[str]) -> str:
    parents = [str(PurePosixPath(p).parent) for p in paths]
    if not parents or any(p == "." for p in parents):
        return ""
    return str(PurePosixPath(os.path.commonpath(parents)))


def _safe_join(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"bundle path {relative!r} escapes its directory")
    return target


def materialise(files: Iterable[FileSource], dest: Path) -> ChallengeDirs:
    """Lay out the judging files under `dest` once; later calls reuse the finished tree.

    The tree is built in a temporary sibling and renamed into place, so a
    worker killed half-way never leaves a partial tree that looks complete.
    """
    files = list(files)
    prefixes = {
        role: _common_folder([f.path for f in files if f.role == role]) for role in FLATTENED_ROLES
    }
    dirs = ChallengeDirs(
        dest / "reference", dest / "input", dest / "scoring", reference_prefix=prefixes["reference"]
    )
    if (dest / ".complete").exists():
        return dirs
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=dest.parent))
    try:
        for role in ROLES_FOR_JUDGING:
            (tmp / role).mkdir()
        for item in files:
            if item.role not in ROLES_FOR_JUDGING:
                continue
            relative = _strip(item.path, prefixes.get(item.role, ""))
            target = _safe_join(tmp / item.role, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(item.source, target)
            except OSError:
                shutil.copyfile(item.source, target)
        for path in tmp.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (tmp / ".complete").write_text("ok")
        # OSError: another worker finished first, and its tree is identical.
        with contextlib.suppress(OSError):
            tmp.rename(dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
    return dirs


def columns_of(config: Mapping[str, Any]) -> tuple[ColumnSpec, ...]:
    return tuple(
        ColumnSpec(
            key=c["key"],
            better=c.get("better", "lower"),
            metric=c.get("metric"),
            params=dict(c.get("params") or {}),
        )
        for c in config["leaderboard"]["columns"]
    )


def phase_config(config: Mapping[str, Any], phase_name: str | None) -> Mapping[str, Any]:
    phases = config["phases"]
    if phase_name is None:
        return dict(phases[0])
    for phase in phases:
        if phase["name"] == phase_name:
            return dict(phase)
    names = ", ".join(p["name"] for p in phases)
    raise KeyError(f"no phase {phase_name!r}; the phases are: {names}")


def build_request(
    config: Mapping[str, Any],
    phase_name: str | None,
    submission_path: Path,
    dirs: ChallengeDirs,
    default_image: str,
    labels: Mapping[str, str] | None = None,
) -> JudgeRequest:
    phase = phase_config(config, phase_name)
    if phase.get("kind") == "project" or not config.get("scoring"):
        # Never queued (uploads to a project phase are refused), but `marea judge` may ask.
        raise KeyError(
            f"phase {phase['name']!r} is a project phase: a jury reviews the teams' projects "
            "and nothing is scored, so there is nothing to judge here"
        )
    scoring_cfg = config["scoring"]
    method: BuiltinScoring | ProgramScoring
    if scoring_cfg.get("builtin"):
        builtin = scoring_cfg["builtin"]
        method = BuiltinScoring(
            reference_file=dirs.reference_path(config["data"]["reference"][0]["path"]),
            id_column=builtin["id_column"],
            target_column=builtin["target_column"],
            prediction_column=builtin["prediction_column"],
            split_column=builtin.get("split_column") or "split",
        )
    else:
        program = scoring_cfg["program"]
        method = ProgramScoring(
            path=_safe_join(dirs.scoring, program["path"]),
            command=tuple(program["command"]),
            time_limit_s=float(program.get("time_limit_s") or 120),
            memory_mb=int(program.get("memory_mb") or 1024),
        )
    scoring = ScoringSpec(
        columns=columns_of(config),
        method=method,
        reference_dir=dirs.reference,
        predictions_file=scoring_cfg.get("predictions_file") or "predictions.csv",
    )
    ingestion = None
    if phase["kind"] == "code":
        code = phase["code"]
        has_inputs = any(dirs.inputs.iterdir()) if dirs.inputs.exists() else False
        ingestion = IngestionSpec(
            command=tuple(code["command"]),
            inputs_dir=dirs.inputs if has_inputs else None,
            time_limit_s=float(code.get("time_limit_s") or 300),
            memory_mb=int(code.get("memory_mb") or 1024),
            cpus=float(code.get("cpus") or 1.0),
            gpus=phase_gpus(config, phase),
            team_sees_output=log_policy(config, "code", code).team_sees_output,
        )
    image = phase.get("runner_image") or config.get("runner_image") or default_image
    return JudgeRequest(
        submission_path=submission_path,
        kind=phase["kind"],
        image=image,
        scoring=scoring,
        ingestion=ingestion,
        labels=dict(labels or {}),
    )


# Time for everything around the containers: copying files, starting and removing containers,
# writing the result. Generous: it only bounds how long a hung job can hold a submission.
JUDGING_MARGIN_S = 120


def judging_bound_s(kind: str, code: Mapping[str, Any] | None, scoring: Mapping[str, Any]) -> int:
    """The longest one judging of a phase may take: ingestion + scoring + margin.

    Used as the queue job's timeout, so even a job stuck on a hung engine call is
    killed, and its submission recovered, within a bounded time.
    """
    ingestion = float((code or {}).get("time_limit_s") or 300) if kind == "code" else 0.0
    program = scoring.get("program")
    score = float(program.get("time_limit_s") or 120) if program else 300.0
    return int(ingestion + score + JUDGING_MARGIN_S)
