"""A program that ran on hidden inputs cannot hand them to its team through any words of ours.

The class of leak: the team reads what its program printed (the logs), and also whatever our
failure message quotes of what the program did: its exit code, the names of the files it
wrote, the ids, values and header of the predictions it wrote. Each row of `CHANNELS` is a
program that reads a secret from the hidden inputs and pushes it out through one channel.

Every row is judged twice by the real pipeline in the sandbox: with `team_sees_output` (the
row's channel must carry the secret, which proves the row tests something) and without it
(the team's message and logs must not hold the secret, while the organisers still read it).
"""

from __future__ import annotations

import json
import textwrap
import uuid
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

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
from judging.failures import WITHHELD

pytestmark = pytest.mark.docker

IDS = ["b1", "b2", "b3", "b4"]
TRUTH = [14.0, 15.5, 13.0, 16.0]
SPLIT = ["public", "public", "private", "private"]
SECRET = f"hidden-{uuid.uuid4().hex[:16]}"
CODE = 173  # what the hidden inputs hold as a number: an exit code, a line, digits

READ = """
    import csv, os, sys, time
    inputs = os.environ["MAREA_INPUT_DIR"]
    rows = list(csv.DictReader(open(os.path.join(inputs, "test.csv"))))
    secret, code = rows[0]["note"], int(rows[0]["code"])
    out = os.environ["MAREA_OUTPUT_DIR"]
    def predict(value=lambda row: "14.0", header="id,sst", ids=None):
        with open(os.path.join(out, "predictions.csv"), "w") as f:
            f.write(header + "\\n")
            for row, i in zip(rows, ids or [r["id"] for r in rows]):
                f.write(f"{i},{value(row)}\\n")
"""


@dataclass(frozen=True)
class Channel:
    name: str
    program: str  # after READ; `secret` and `code` are the hidden inputs' values
    expect: Category | None  # None: scored
    leaks: str  # what the team would read with the output shown: the secret, or the code
    in_logs: bool = False  # the channel is the logs (else the message)
    program_scoring: bool = False  # scored by an organisers' program that quotes the file
    time_limit_s: float = 30


CHANNELS = [
    Channel("stdout and stderr", 'print(secret); print(secret, file=sys.stderr); predict()',
            None, SECRET, in_logs=True),
    Channel("exit code", "print(secret, file=sys.stderr); sys.exit(code)",
            Category.RUNTIME_ERROR, f"exit code {CODE}"),
    Channel("a crash's own words", "raise ValueError(secret)",
            Category.RUNTIME_ERROR, SECRET, in_logs=True),
    Channel("file names", "open(os.path.join(out, secret + '.csv'), 'w').write('x')",
            Category.MISSING_OUTPUT, SECRET),
    Channel("a prediction's value", "predict(value=lambda row: row['note'])",
            Category.INVALID_OUTPUT, SECRET),
    Channel("an id", "predict(ids=[secret] * len(rows))", Category.INVALID_OUTPUT, SECRET),
    Channel("the header", "predict(header='id,' + secret)", Category.INVALID_OUTPUT, SECRET),
    Channel("an overflowing value's digits", "predict(value=lambda row: f'{code}e306')",
            Category.INVALID_OUTPUT, f"'{CODE}e306'"),
    Channel("an organiser's program quoting the file", "predict(value=lambda row: row['note'])",
            Category.INVALID_OUTPUT, SECRET, program_scoring=True),
    Channel("printed before the time limit", "print(secret, flush=True); time.sleep(60)",
            Category.TIMEOUT, SECRET, in_logs=True, time_limit_s=3),
    Channel("printed before running out of memory",
            "print(secret, flush=True); blob = b'x' * (512 * 1024 * 1024)",
            Category.OUT_OF_MEMORY, SECRET, in_logs=True),
]  # fmt: skip

# An organisers' scoring program that rejects the file quoting it: its words reach the team.
QUOTING_SCORER = """
import json, os
text = open(os.environ["MAREA_PREDICTIONS_FILE"]).read()
json.dump({"invalid": "cannot read: " + text[:200], "line": 2},
          open(os.environ["MAREA_SCORES_FILE"], "w"))
"""


def _readable(path: Path, text: str | None = None) -> Path:
    if text is None:
        path.mkdir(parents=True)
        path.chmod(0o755)
    else:
        path.write_text(text)
        path.chmod(0o644)
    return path


def _request(
    channel: Channel, shown: bool, runner_image: str, labels: dict[str, str], root: Path
) -> JudgeRequest:
    reference = _readable(root / "reference")
    rows = "".join(f"{i},{t},{s}\n" for i, t, s in zip(IDS, TRUTH, SPLIT, strict=True))
    _readable(reference / "answers.csv", "id,sst,split\n" + rows)
    inputs = _readable(root / "inputs")
    _readable(
        inputs / "test.csv", "id,note,code\n" + "".join(f"{i},{SECRET},{CODE}\n" for i in IDS)
    )
    method: BuiltinScoring | ProgramScoring
    columns = (ColumnSpec("rmse", "lower", "rmse"),)
    if channel.program_scoring:
        folder = _readable(root / "scoring")
        _readable(folder / "score.py", QUOTING_SCORER)
        method = ProgramScoring(folder, ("python3", "score.py"), time_limit_s=30, memory_mb=256)
        columns = (ColumnSpec("rmse", "lower"),)
    else:
        method = BuiltinScoring("answers.csv", "id", "sst", "sst", "split")
    archive = root / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.py", textwrap.dedent(READ) + channel.program + "\n")
    ingestion = IngestionSpec(
        ("python3", "main.py"),
        inputs,
        time_limit_s=channel.time_limit_s,
        memory_mb=64,
        team_sees_output=shown,
    )
    scoring = ScoringSpec(columns=columns, method=method, reference_dir=reference)
    return JudgeRequest(archive, "code", runner_image, scoring, ingestion, labels=labels)


def _run(
    channel: Channel, shown: bool, runner_image: str, labels: dict[str, str], tmp_path: Path
) -> JudgeResult:
    root = tmp_path / ("shown" if shown else "withheld")
    request = _request(channel, shown, runner_image, labels, root)
    return judge(request, workdir=root / "work")


def _team_reads(result: JudgeResult) -> str:
    return result.message + "\n" + json.dumps(result.logs.participant)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("channel", CHANNELS, ids=[c.name for c in CHANNELS])
def test_hidden_inputs_reach_the_team_through_no_channel(
    channel: Channel, runner_image: str, labels: dict[str, str], tmp_path: Path
) -> None:
    shown = _run(channel, True, runner_image, labels, tmp_path)
    withheld = _run(channel, False, runner_image, labels, tmp_path)

    for result in (shown, withheld):
        category = None if result.failure is None else result.failure.category
        assert category is channel.expect, result.to_json()
    # With the output shown the channel carries the secret: the row tests a real channel.
    carrier = json.dumps(shown.logs.participant) if channel.in_logs else shown.message
    assert channel.leaks in carrier, shown.to_json()
    # Withheld: nothing of it in the team's message or logs; the message says why.
    team = _team_reads(withheld)
    assert SECRET not in team and str(CODE) not in team, team
    assert withheld.logs.participant == {}
    if withheld.failure is not None:
        assert WITHHELD.english() in withheld.message
        assert "line" not in withheld.message and "below" not in withheld.message
    # The organisers still read all of it: the program's output, and the full message.
    staff = json.dumps({**withheld.logs.withheld, **withheld.logs.organiser})
    assert set(withheld.logs.withheld) == {"stdout", "stderr"}
    if channel.in_logs:
        assert SECRET in json.dumps(withheld.logs.withheld)
    else:
        assert channel.leaks.strip("'") in staff, staff


def test_a_scored_run_says_nothing_more_when_withheld(
    runner_image: str, labels: dict[str, str], tmp_path: Path
) -> None:
    """The same scores and words either way: withholding changes what is shown, not judging."""
    channel = CHANNELS[0]
    shown = _run(channel, True, runner_image, labels, tmp_path)
    withheld = _run(channel, False, runner_image, labels, tmp_path)
    assert shown.status == withheld.status == "scored"
    assert shown.scores == withheld.scores
    assert shown.message == withheld.message
    assert withheld.logs.withheld == shown.logs.participant


def test_predictions_phases_are_never_withheld(
    runner_image: str, labels: dict[str, str], tmp_path: Path
) -> None:
    """An uploaded file is the team's own: its problems are quoted back, as always."""
    channel = replace(CHANNELS[4], name="upload")
    request = _request(channel, False, runner_image, labels, tmp_path)
    upload = _readable(tmp_path / "upload.csv", "id,sst\nb1,warm\n")
    request = replace(request, submission_path=upload, kind="predictions", ingestion=None)
    result = judge(request, workdir=tmp_path / "upload-work")
    assert result.failure is not None and result.failure.category is Category.INVALID_OUTPUT
    assert "'warm' is not a number" in result.message and "line 2" in result.message
