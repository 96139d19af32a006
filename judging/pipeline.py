"""From one submission to its scores: the judging pipeline.

Two containers, never one. A code submission runs in the *ingestion* container
with its own files at /submission (read-only, the working directory), the test
inputs at $MAREA_INPUT_DIR (/inputs, read-only) and a writable, size-capped
$MAREA_OUTPUT_DIR (/output) where it must write the predictions file (whose
full path is also in $MAREA_PREDICTIONS_FILE). The answers are not mounted
there. Only the predictions file is carried across to the *scoring* container,
which sees it at $MAREA_PREDICTIONS_FILE (/predictions/<name>), the hidden
reference data at $MAREA_REFERENCE_DIR (/reference) and writes JSON to
$MAREA_SCORES_FILE (/output/scores.json); see `judging.scores` for that JSON.
The built-in metrics run in that same scoring container (this package's
`scorer/` folder mounted read-only), never in the worker process.

Everything the team or the organisers did wrong comes back as a `Failure` in
the result. Only `sandbox.EngineUnavailable` is raised: then nothing was judged
and the submission should wait for the engine, not be marked failed.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import sandbox
from judging import failures
from judging.failures import Failure
from judging.messages import Message
from judging.provenance import sha256_tree
from judging.result import JudgeResult, Logs, Provenance
from judging.scorer.catalog import SPECS
from judging.scores import Scores, read_scores
from judging.spec import BuiltinScoring, IngestionSpec, JudgeRequest, MiB, ProgramScoring
from judging.unpack import UnpackError, unpack

Runner = Callable[[sandbox.RunSpec], sandbox.RunResult]

SCORER_DIR = Path(__file__).resolve().parent / "scorer"
SCORER_PACKAGE = "marea_scorer"
SCORER_ROOT = "/opt/marea"
SUBMISSION_DIR = "/submission"
INPUTS_DIR = "/inputs"
OUTPUT_DIR = "/output"
PREDICTIONS_DIR = "/predictions"
REFERENCE_DIR = "/reference"
PROGRAM_DIR = "/scoring"
CONFIG_DIR = "/opt/marea/config"
SCORES_NAME = "scores.json"
SCORING_LOG_BYTES = 64 * 1024
SCORING_OUTPUT_BYTES = 4 * MiB


class _Stop(Exception):
    """Ends judging early with a failure; internal to this module."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.category)
        self.failure = failure


def _tail(text: str, dropped: int) -> str:
    if dropped <= 0:
        return text
    return f"[... {dropped} earlier bytes not kept ...]\n{text}"


def _fresh_dir(path: Path) -> Path:
    """A new folder the sandbox user can read (the workdir itself may be private)."""
    path.mkdir()
    path.chmod(0o755)
    return path


class _Judging:
    """The state of one judging run; `judge()` is the public face."""

    def __init__(self, request: JudgeRequest, workdir: Path, run: Runner) -> None:
        self.request = request
        self.workdir = workdir
        self.run = run
        self.logs = Logs()
        self.provenance = Provenance()
        self.predictions: Path | None = None

    @property
    def withheld(self) -> bool:
        """Whether the team may not read what its program printed or wrote (hidden inputs)."""
        ingestion = self.request.ingestion
        if self.request.kind != "code" or ingestion is None:
            return False
        return not ingestion.team_sees_output

    def judge(self) -> Scores:
        self._prepare()
        predictions = self._code() if self.request.kind == "code" else self._uploaded()
        self.predictions = self._carry(predictions)
        return self._score(self.predictions)

    # -- preparation and provenance ------------------------------------------------------------

    def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if any(self.workdir.iterdir()):
            raise _Stop(
                failures.internal_error(
                    Message("detail.workdir_not_empty", {"path": str(self.workdir)})
                )
            )
        request = self.request
        if not request.submission_path.is_file():
            raise _Stop(
                failures.internal_error(
                    Message("detail.submission_missing", {"path": str(request.submission_path)})
                )
            )
        self.provenance.submission_sha256 = sandbox.sha256_file(request.submission_path)
        scoring = request.scoring
        name = scoring.predictions_file
        if name in ("", ".", "..") or Path(name).name != name:
            raise _Stop(
                failures.scoring_error(Message("detail.predictions_name", {"name": repr(name)}))
            )
        inputs = request.ingestion.inputs_dir if request.ingestion else None
        data = sha256_tree({"reference": scoring.reference_dir, "inputs": inputs})
        self.provenance.data_sha256 = data.sha256
        method = scoring.method
        if isinstance(method, BuiltinScoring):
            program = sha256_tree({"builtin": SCORER_DIR}, skip=("__pycache__",))
            unknown = [c.key for c in scoring.columns if c.metric not in SPECS]
            if unknown:
                raise _Stop(
                    failures.scoring_error(Message("detail.no_metric", {"key": repr(unknown[0])}))
                )
        else:
            program = sha256_tree({"program": method.path})
        # The command and the column settings (metric, params) change scores as much as code does.
        settings = json.dumps([list(self._scoring_command()), self._config()], sort_keys=True)
        self.provenance.scoring_sha256 = sandbox.sha256_chunks(
            [f"{program.sha256}\n{settings}".encode()]
        )
        problems = data.problems + program.problems
        if problems:
            raise _Stop(
                failures.internal_error(
                    Message("detail.cannot_mount", {"problems": "; ".join(problems[:5])})
                )
            )

    def _scoring_command(self) -> tuple[str, ...]:
        method = self.request.scoring.method
        if isinstance(method, ProgramScoring):
            return method.command
        return ("python3", "-m", SCORER_PACKAGE, f"{CONFIG_DIR}/config.json")

    # -- getting a predictions file ------------------------------------------------------------

    def _uploaded(self) -> Path:
        return self.request.submission_path

    def _code(self) -> Path:
        ingestion = self.request.ingestion
        if ingestion is None:
            raise _Stop(failures.internal_error(Message("detail.no_ingestion")))
        code = self.workdir / "code"
        try:
            unpack(self.request.submission_path, code, self.request.unpack)
        except UnpackError as exc:
            raise _Stop(failures.invalid_submission(exc.said)) from exc
        code.chmod(0o755)
        inputs = ingestion.inputs_dir or _fresh_dir(self.workdir / "no-inputs")
        name = self.request.scoring.predictions_file
        spec = sandbox.RunSpec(
            image=self.request.image,
            command=ingestion.command,
            mounts=(
                sandbox.Mount(code.resolve(), SUBMISSION_DIR),
                sandbox.Mount(inputs.resolve(), INPUTS_DIR),
            ),
            env={
                "MAREA_INPUT_DIR": INPUTS_DIR,
                "MAREA_OUTPUT_DIR": OUTPUT_DIR,
                "MAREA_PREDICTIONS_FILE": f"{OUTPUT_DIR}/{name}",
            },
            workdir=SUBMISSION_DIR,
            output_dir=OUTPUT_DIR,
            limits=_ingestion_limits(ingestion),
            labels={**self.request.labels, "marea.stage": "ingestion"},
            output_path=self.workdir / "ingestion-output",
            live=ingestion.live if ingestion.team_sees_output else None,
        )
        result = self.run(spec)
        self.provenance.image_id = result.image_id
        output = {
            "stdout": _tail(result.stdout, result.stdout_truncated_bytes),
            "stderr": _tail(result.stderr, result.stderr_truncated_bytes),
        }
        withheld = self.withheld
        if withheld:
            self.logs.withheld = output
        else:
            self.logs.participant = output
        if result.timed_out:
            raise _Stop(failures.timeout(ingestion.time_limit_s, withheld=withheld))
        if result.oom_killed:
            raise _Stop(failures.out_of_memory(ingestion.memory_mb, withheld=withheld))
        if result.exit_code is None:
            raise _Stop(failures.internal_error(Message("detail.no_exit_code")))
        if result.exit_code != 0:
            raise _Stop(failures.runtime_error(result.exit_code, withheld=withheld))
        written = result.output_path / name
        if not written.is_file():
            raise _Stop(
                failures.missing_output(
                    name, result.output_files, result.output_truncated, withheld=withheld
                )
            )
        return written

    def _carry(self, source: Path) -> Path:
        """Copy the predictions, alone, into a folder of their own for the scoring container."""
        folder = _fresh_dir(self.workdir / "predictions")
        target = folder / self.request.scoring.predictions_file
        shutil.copyfile(source, target)
        target.chmod(0o644)
        return target

    # -- scoring -------------------------------------------------------------------------------

    def _score(self, predictions: Path) -> Scores:
        scoring = self.request.scoring
        method = scoring.method
        mounts = [
            sandbox.Mount(predictions.parent.resolve(), PREDICTIONS_DIR),
            sandbox.Mount(scoring.reference_dir.resolve(), REFERENCE_DIR),
        ]
        env = {
            "MAREA_PREDICTIONS_FILE": f"{PREDICTIONS_DIR}/{predictions.name}",
            "MAREA_REFERENCE_DIR": REFERENCE_DIR,
            "MAREA_SCORES_FILE": f"{OUTPUT_DIR}/{SCORES_NAME}",
        }
        if isinstance(method, BuiltinScoring):
            mounts += [
                sandbox.Mount(SCORER_DIR, f"{SCORER_ROOT}/{SCORER_PACKAGE}"),
                sandbox.Mount(self._builtin_config(), CONFIG_DIR),
            ]
            env["PYTHONPATH"] = SCORER_ROOT
            workdir = "/tmp"
        else:
            mounts.append(sandbox.Mount(method.path.resolve(), PROGRAM_DIR))
            workdir = PROGRAM_DIR
        spec = sandbox.RunSpec(
            image=self.request.image,
            command=self._scoring_command(),
            mounts=tuple(mounts),
            env=env,
            workdir=workdir,
            output_dir=OUTPUT_DIR,
            limits=sandbox.Limits(
                wall_seconds=method.time_limit_s,
                memory_bytes=method.memory_mb * MiB,
                output_bytes=SCORING_OUTPUT_BYTES,
                file_size_bytes=SCORING_OUTPUT_BYTES,
                log_bytes=SCORING_LOG_BYTES,
            ),
            labels={**self.request.labels, "marea.stage": "scoring"},
            output_path=self.workdir / "scoring-output",
        )
        result = self.run(spec)
        self.provenance.image_id = result.image_id
        self.logs.organiser.update(
            scoring_stdout=_tail(result.stdout, result.stdout_truncated_bytes),
            scoring_stderr=_tail(result.stderr, result.stderr_truncated_bytes),
        )
        crashed = _crash(result, method.time_limit_s, method.memory_mb)
        if crashed is not None:
            if isinstance(method, BuiltinScoring):
                raise _Stop(
                    failures.internal_error(Message("detail.builtin_crashed", {"crash": crashed}))
                )
            raise _Stop(
                failures.scoring_error(Message("detail.program_crashed", {"crash": crashed}))
            )
        answer = read_scores(result.output_path / SCORES_NAME, scoring.keys, withheld=self.withheld)
        if isinstance(answer, Failure):
            raise _Stop(answer)
        return answer

    def _config(self) -> dict[str, object]:
        """What the built-in scorer is told; for a program, only the column keys matter."""
        scoring = self.request.scoring
        columns = [{"key": c.key, "metric": c.metric, "params": c.params} for c in scoring.columns]
        method = scoring.method
        if isinstance(method, ProgramScoring):
            return {"columns": [c.key for c in scoring.columns]}
        return {
            "reference_file": method.reference_file,
            "id_column": method.id_column,
            "target_column": method.target_column,
            "prediction_column": method.prediction_column,
            "split_column": method.split_column,
            "columns": columns,
        }

    def _builtin_config(self) -> Path:
        folder = _fresh_dir(self.workdir / "scoring-config")
        path = folder / "config.json"
        path.write_text(json.dumps(self._config()), encoding="utf-8")
        path.chmod(0o644)
        return folder.resolve()


def _ingestion_limits(ingestion: IngestionSpec) -> sandbox.Limits:
    output = ingestion.output_mb * MiB
    return dataclasses.replace(
        sandbox.Limits(),
        wall_seconds=ingestion.time_limit_s,
        memory_bytes=ingestion.memory_mb * MiB,
        cpus=ingestion.cpus,
        gpus=ingestion.gpus,
        output_bytes=output,
        file_size_bytes=output,
        log_bytes=ingestion.log_kib * 1024,
    )


def _crash(result: sandbox.RunResult, limit_s: float, memory_mb: int) -> Message | None:
    """How a scoring run failed as a program, or None when it exited cleanly."""
    if result.timed_out:
        return Message("detail.crash_timeout", {"limit": f"{limit_s:g}"})
    if result.oom_killed:
        return Message("detail.crash_memory", {"limit": memory_mb})
    if result.exit_code != 0:
        return Message("detail.crash_exit", {"code": str(result.exit_code)})
    return None


def judge(request: JudgeRequest, *, workdir: Path, run: Runner = sandbox.run) -> JudgeResult:
    """Judge one submission inside `workdir` (created if missing, must be empty; caller removes it).

    Raises only `sandbox.EngineUnavailable`; every other problem is a failure in the result.
    """
    started = time.monotonic()
    job = _Judging(request, workdir, run)
    scores: Scores = {}
    failure: Failure | None = None
    try:
        scores = job.judge()
    except _Stop as stop:
        failure = stop.failure
    except sandbox.EngineUnavailable:
        raise
    except sandbox.SandboxError as exc:
        failure = failures.internal_error(str(exc))
    except Exception:  # a bug here must still end as a result the app can store
        failure = failures.internal_error(traceback.format_exc(limit=20))
    if failure is not None and failure.detail:
        job.logs.organiser["detail"] = failure.detail_text
        if isinstance(failure.detail, Message):  # said again in each organiser's language
            job.logs.organiser["detail_message"] = json.dumps(failure.detail.to_json())
    return JudgeResult(
        failure=failure,
        scores=scores,
        duration_s=time.monotonic() - started,
        logs=job.logs,
        provenance=job.provenance,
        predictions_path=job.predictions,
    )
