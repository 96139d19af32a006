"""`judge()` end to end: real submissions, the real sandbox, the real runner image.

Every failure category is reached by a submission that really does the wrong
thing; nothing here fakes the sandbox.
"""

from __future__ import annotations

import hashlib
import json
import math
import textwrap
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from judging import (
    BuiltinScoring,
    Category,
    ColumnSpec,
    IngestionSpec,
    JudgeRequest,
    JudgeResult,
    ProgramScoring,
    ScoringSpec,
    judge,
)

IDS = ["b1", "b2", "b3", "b4", "b5", "b6"]
TRUTH = [14.0, 15.5, 13.0, 16.0, 17.5, 12.0]
SPLIT = ["public", "public", "public", "private", "private", "private"]
GUESS = [14.5, 15.0, 13.0, 18.0, 17.0, 12.0]
MakeRequest = Callable[..., JudgeRequest]
COLUMNS = (ColumnSpec("rmse", "lower", "rmse"), ColumnSpec("mae", "lower", "mae"))


def readable_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    path.chmod(0o755)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o644)
    return path


def csv_text(header: str, rows: list[list[object]]) -> str:
    return header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    folder = readable_dir(tmp_path / "reference")
    rows = [[i, t, s] for i, t, s in zip(IDS, TRUTH, SPLIT, strict=True)]
    write(folder / "answers.csv", csv_text("id,sst,split", rows))
    return folder


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = readable_dir(tmp_path / "inputs")
    write(
        folder / "test.csv", csv_text("id,guess", [[i, g] for i, g in zip(IDS, GUESS, strict=True)])
    )
    return folder


@pytest.fixture
def builtin(reference: Path) -> ScoringSpec:
    return ScoringSpec(
        columns=COLUMNS,
        method=BuiltinScoring("answers.csv", "id", "sst", "sst", "split"),
        reference_dir=reference,
    )


@pytest.fixture
def request_for(runner_image: str, labels: dict[str, str], tmp_path: Path) -> MakeRequest:
    """Build a JudgeRequest for a submission file (predictions text, or code files zipped)."""

    def make(
        scoring: ScoringSpec,
        *,
        predictions: str | None = None,
        code: dict[str, str] | None = None,
        ingestion: IngestionSpec | None = None,
    ) -> JudgeRequest:
        name = uuid.uuid4().hex[:8]
        if code is not None:
            path = tmp_path / f"{name}.zip"
            with zipfile.ZipFile(path, "w") as zf:
                for file, text in code.items():
                    zf.writestr(file, textwrap.dedent(text))
            return JudgeRequest(path, "code", runner_image, scoring, ingestion, labels=labels)
        path = write(tmp_path / f"{name}.csv", predictions or "")
        return JudgeRequest(path, "predictions", runner_image, scoring, labels=labels)

    return make


def run(request: JudgeRequest, tmp_path: Path) -> JudgeResult:
    return judge(request, workdir=tmp_path / f"work-{uuid.uuid4().hex[:8]}")


def expected(part: str) -> dict[str, float]:
    errors = [g - t for t, g, s in zip(TRUTH, GUESS, SPLIT, strict=True) if s == part]
    return {
        "rmse": math.sqrt(sum(e * e for e in errors) / len(errors)),
        "mae": sum(abs(e) for e in errors) / len(errors),
    }


GOOD_PREDICTIONS = csv_text("id,sst", [[i, g] for i, g in zip(IDS, GUESS, strict=True)])

# A program that predicts the inputs' `guess` column, as a participant's main.py would.
PREDICT = """
    import csv, os
    rows = list(csv.DictReader(open(os.path.join(os.environ["MAREA_INPUT_DIR"], "test.csv"))))
    with open(os.path.join(os.environ["MAREA_OUTPUT_DIR"], "predictions.csv"), "w") as out:
        out.write("id,sst\\n")
        for row in rows:
            out.write(f"{row['id']},{row['guess']}\\n")
    print("wrote", len(rows), "predictions")
"""


def code_phase(inputs: Path, **changes: Any) -> IngestionSpec:
    spec = IngestionSpec(("python3", "main.py"), inputs, time_limit_s=30, memory_mb=128)
    return replace(spec, **changes)


# -- scored ---------------------------------------------------------------------------------------


def test_predictions_file_scores_on_public_and_private(
    request_for: MakeRequest, builtin: ScoringSpec, tmp_path: Path
) -> None:
    request = request_for(builtin, predictions=GOOD_PREDICTIONS)
    result = run(request, tmp_path)

    assert result.status == "scored", result.to_json()
    assert result.failure is None
    for part in ("public", "private"):
        assert result.scores[part] == pytest.approx(expected(part), rel=1e-12)
    body = result.to_json()
    assert set(body) == {
        "status",
        "failure",
        "message",
        "message_i18n",
        "scores",
        "duration_s",
        "logs",
        "provenance",
    }
    assert json.loads(json.dumps(body)) == body
    provenance = body["provenance"]
    digest = hashlib.sha256(request.submission_path.read_bytes()).hexdigest()
    assert provenance["submission_sha256"] == digest
    assert provenance["image_id"].startswith("sha256:")
    assert len(provenance["data_sha256"]) == 64 and len(provenance["scoring_sha256"]) == 64


def test_a_rescore_reproduces_numbers_and_provenance(
    request_for: MakeRequest, builtin: ScoringSpec, reference: Path, tmp_path: Path
) -> None:
    request = request_for(builtin, predictions=GOOD_PREDICTIONS)
    first, second = run(request, tmp_path), run(request, tmp_path)
    assert first.scores == second.scores
    assert first.provenance == second.provenance

    write(
        reference / "answers.csv", (reference / "answers.csv").read_text().replace("14.0", "14.25")
    )
    changed = run(request, tmp_path)
    assert changed.provenance.data_sha256 != first.provenance.data_sha256
    assert changed.scores["public"] != first.scores["public"]


def test_code_submission_reads_inputs_and_is_scored(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    request = request_for(builtin, code={"main.py": PREDICT}, ingestion=code_phase(inputs))
    result = run(request, tmp_path)

    assert result.status == "scored", result.to_json()
    assert result.scores["private"] == pytest.approx(expected("private"), rel=1e-12)
    assert "wrote 6 predictions" in result.logs.participant["stdout"]
    assert result.predictions_path is not None
    assert result.predictions_path.read_text() == GOOD_PREDICTIONS


def test_code_submission_cannot_see_the_reference_data(
    request_for: MakeRequest, builtin: ScoringSpec, reference: Path, inputs: Path, tmp_path: Path
) -> None:
    secret = f"answers-{uuid.uuid4().hex}.csv"
    write(reference / secret, "id,sst,split\n")
    snoop = """
        import os
        found = []
        for root, dirs, files in os.walk("/", onerror=lambda e: None):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
            found += [os.path.join(root, f) for f in files if f.startswith("answers")]
        mounts = open("/proc/self/mountinfo").read()
        print("FOUND", found)
        print("MOUNTED", REFERENCE in mounts)
        print("ENV", sorted(k for k in os.environ if k.startswith("MAREA_")))
    """.replace("REFERENCE", repr(str(reference.resolve())))
    request = request_for(
        builtin,
        code={"main.py": textwrap.dedent(PREDICT) + textwrap.dedent(snoop)},
        ingestion=code_phase(inputs),
    )
    result = run(request, tmp_path)

    stdout = result.logs.participant["stdout"]
    assert "FOUND []" in stdout, stdout
    assert "MOUNTED False" in stdout
    assert "ENV ['MAREA_INPUT_DIR', 'MAREA_OUTPUT_DIR', 'MAREA_PREDICTIONS_FILE']" in stdout
    assert result.status == "scored"  # the reference was there all along, for the scorer only


# -- the team's failures ----------------------------------------------------------------------------


def test_timeout(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    code = {"main.py": "import time\nprint('training...', flush=True)\ntime.sleep(120)\n"}
    request = request_for(builtin, code=code, ingestion=code_phase(inputs, time_limit_s=3))
    result = run(request, tmp_path)

    assert result.failure is not None and result.failure.category is Category.TIMEOUT
    assert "3 s limit" in result.message
    assert "training..." in result.logs.participant["stdout"]
    assert result.scores == {}


def test_out_of_memory(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    code = {"main.py": "print('loading', flush=True)\nblob = b'x' * (512 * 1024 * 1024)\n"}
    request = request_for(builtin, code=code, ingestion=code_phase(inputs, memory_mb=64))
    result = run(request, tmp_path)

    assert result.failure is not None
    assert result.failure.category is Category.OUT_OF_MEMORY, result.to_json()
    assert "64 MB" in result.message


def test_runtime_error_reports_exit_code_and_logs(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    code = {"main.py": "import sys\nprint('model not found', file=sys.stderr)\nsys.exit(3)\n"}
    result = run(request_for(builtin, code=code, ingestion=code_phase(inputs)), tmp_path)

    assert result.failure is not None and result.failure.category is Category.RUNTIME_ERROR
    assert "exit code 3" in result.message
    assert "model not found" in result.logs.participant["stderr"]


def test_missing_output(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    code = {
        "main.py": "import os\n"
        "open(os.path.join(os.environ['MAREA_OUTPUT_DIR'], 'preds.csv'), 'w').write('id\\n')\n"
    }
    result = run(request_for(builtin, code=code, ingestion=code_phase(inputs)), tmp_path)

    assert result.failure is not None and result.failure.category is Category.MISSING_OUTPUT
    assert "predictions.csv" in result.message and "preds.csv" in result.message


def test_invalid_output_from_code_names_the_line(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    code = {
        "main.py": "import os\n"
        "p = os.path.join(os.environ['MAREA_OUTPUT_DIR'], 'predictions.csv')\n"
        "open(p, 'w').write('id,sst\\nb1,1\\nb2,nan\\n')\n"
    }
    result = run(request_for(builtin, code=code, ingestion=code_phase(inputs)), tmp_path)

    assert result.failure is not None and result.failure.category is Category.INVALID_OUTPUT
    assert "line 3" in result.message and "b2" in result.message
    assert result.failure.category.blames_team


def test_uploaded_predictions_with_unknown_id(
    request_for: MakeRequest, builtin: ScoringSpec, tmp_path: Path
) -> None:
    bad = GOOD_PREDICTIONS.replace("b4,", "b40,")
    result = run(request_for(builtin, predictions=bad), tmp_path)

    assert result.failure is not None and result.failure.category is Category.INVALID_OUTPUT
    assert "line 5" in result.message and "'b40'" in result.message
    # The participant message never quotes the hidden answers.
    assert "16.0" not in result.message


def test_archive_with_a_link_is_an_invalid_submission(
    request_for: MakeRequest, builtin: ScoringSpec, inputs: Path, tmp_path: Path
) -> None:
    request = request_for(builtin, code={"main.py": PREDICT}, ingestion=code_phase(inputs))
    with zipfile.ZipFile(request.submission_path, "a") as zf:
        info = zipfile.ZipInfo("answers.csv")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/reference/answers.csv")
    result = run(request, tmp_path)

    assert result.failure is not None and result.failure.category is Category.INVALID_SUBMISSION
    assert "link" in result.message


# -- the organisers' failures ------------------------------------------------------------------------


def program(tmp_path: Path, reference: Path, source: str) -> ScoringSpec:
    folder = readable_dir(tmp_path / f"scoring-{uuid.uuid4().hex[:8]}")
    write(folder / "score.py", textwrap.dedent(source))
    return ScoringSpec(
        columns=(ColumnSpec("rmse", "lower"), ColumnSpec("mae", "lower")),
        method=ProgramScoring(folder, ("python3", "score.py"), time_limit_s=30, memory_mb=256),
        reference_dir=reference,
    )


CUSTOM = """
    import csv, json, math, os
    ref = {r["id"]: r for r in csv.DictReader(open(os.path.join(os.environ["MAREA_REFERENCE_DIR"], "answers.csv")))}
    pred = {r["id"]: float(r["sst"]) for r in csv.DictReader(open(os.environ["MAREA_PREDICTIONS_FILE"]))}
    out = {}
    for part in ("public", "private"):
        errs = [pred[i] - float(r["sst"]) for i, r in ref.items() if r["split"] == part]
        out[part] = {"rmse": math.sqrt(sum(e * e for e in errs) / len(errs)),
                     "mae": sum(abs(e) for e in errs) / len(errs)}
    EXTRA
    json.dump(out, open(os.environ["MAREA_SCORES_FILE"], "w"))
"""


def test_custom_scoring_program_scores(
    request_for: MakeRequest, reference: Path, tmp_path: Path
) -> None:
    scoring = program(tmp_path, reference, CUSTOM.replace("EXTRA", "pass"))
    result = run(request_for(scoring, predictions=GOOD_PREDICTIONS), tmp_path)

    assert result.status == "scored", result.to_json()
    assert result.scores["public"] == pytest.approx(expected("public"), rel=1e-12)
    assert result.scores["private"] == pytest.approx(expected("private"), rel=1e-12)


def test_crashing_scoring_program_is_a_scoring_error(
    request_for: MakeRequest, reference: Path, tmp_path: Path
) -> None:
    scoring = program(tmp_path, reference, "import sys\nraise KeyError('buoy_id')\n")
    result = run(request_for(scoring, predictions=GOOD_PREDICTIONS), tmp_path)

    assert result.failure is not None and result.failure.category is Category.SCORING_ERROR
    assert not result.failure.category.blames_team
    assert "not your fault" in result.message
    assert "exited with code 1" in result.logs.organiser["detail"]
    assert "KeyError: 'buoy_id'" in result.logs.organiser["scoring_stderr"]
    assert "buoy_id" not in result.message
    assert result.logs.participant == {}


def test_scoring_program_with_unknown_key_is_a_scoring_error(
    request_for: MakeRequest, reference: Path, tmp_path: Path
) -> None:
    extra = 'out["public"]["rsme"] = 1.0'
    scoring = program(tmp_path, reference, CUSTOM.replace("EXTRA", extra))
    result = run(request_for(scoring, predictions=GOOD_PREDICTIONS), tmp_path)

    assert result.failure is not None and result.failure.category is Category.SCORING_ERROR
    assert "rsme" in result.logs.organiser["detail"]
    assert result.scores == {}


def test_builtin_scoring_with_broken_reference_is_a_scoring_error(
    request_for: MakeRequest, builtin: ScoringSpec, reference: Path, tmp_path: Path
) -> None:
    answers = reference / "answers.csv"
    write(answers, answers.read_text().replace("private", "public"))
    result = run(request_for(builtin, predictions=GOOD_PREDICTIONS), tmp_path)

    assert result.failure is not None and result.failure.category is Category.SCORING_ERROR
    assert "no private rows" in result.logs.organiser["detail"]


def test_metric_parameters_are_part_of_the_scoring_fingerprint(
    request_for: MakeRequest, builtin: ScoringSpec, tmp_path: Path
) -> None:
    results = []
    for alpha in (0.1, 0.9):
        columns = (ColumnSpec("q", "lower", "pinball_loss", {"alpha": alpha}),)
        scoring = replace(builtin, columns=columns)
        results.append(run(request_for(scoring, predictions=GOOD_PREDICTIONS), tmp_path))
    low, high = results
    assert low.status == high.status == "scored"
    assert low.provenance.scoring_sha256 != high.provenance.scoring_sha256
    assert low.provenance.data_sha256 == high.provenance.data_sha256
    for alpha, result in ((0.1, low), (0.9, high)):
        diffs = [t - g for t, g, s in zip(TRUTH, GUESS, SPLIT, strict=True) if s == "private"]
        losses = [alpha * d if d >= 0 else (alpha - 1) * d for d in diffs]
        assert result.scores["private"]["q"] == pytest.approx(sum(losses) / len(losses))
