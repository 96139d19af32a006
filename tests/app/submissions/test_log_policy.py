"""The log policy: its default, its keys in challenge.yaml, the excerpt, and where it applies.

The end-to-end proof (real judging, every channel of the real site) is
test_log_policy_site.py; these pin down the rules it relies on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from app.bundles import ErrorCategory, validate_bundle
from app.core.store import LocalStore
from app.queue.judge_request import ChallengeDirs, build_request
from app.submissions.access import team_logs
from app.submissions.excerpts import CUT_MARK, cut_excerpt, program_output
from app.submissions.log_policy import LogPolicy, log_policy
from app.submissions.models import LogExcerpt, Submission
from tests.bundles.bundle_helpers import copy_valid, line_of

pytestmark = pytest.mark.unit  # needs no service: `make unit`

PUBLIC = {"public": [{"path": "data/test.csv"}], "inputs": [{"path": "data/test.csv"}]}
HIDDEN = {"public": [{"path": "data/train.csv"}], "inputs": [{"path": "data/test.csv"}]}
NO_INPUTS: dict[str, Any] = {"public": [{"path": "data/train.csv"}], "inputs": []}
CODE = {"command": ["python3", "main.py"]}

POLICIES = [
    # (data, code block, expected mode, expected explicit)
    (PUBLIC, CODE, "full", False),
    (HIDDEN, CODE, "none", False),
    (NO_INPUTS, CODE, "full", False),
    ({"public": [{"path": "./data/test.csv"}], **{"inputs": HIDDEN["inputs"]}}, CODE, "full", False),
    (HIDDEN, {**CODE, "logs": "full"}, "full", True),
    (HIDDEN, {**CODE, "logs": "excerpt"}, "excerpt", True),
    (PUBLIC, {**CODE, "logs": "none"}, "none", True),
    (PUBLIC, {**CODE, "logs": None}, "full", False),  # as model_dump writes an unset key
    (PUBLIC, {**CODE, "logs": "partial"}, "none", False),  # unreadable: the safe one
]  # fmt: skip


@pytest.mark.parametrize(("data", "code", "mode", "explicit"), POLICIES)
def test_the_default_follows_whether_the_inputs_are_public(
    data: dict[str, Any], code: dict[str, Any], mode: str, explicit: bool
) -> None:
    policy = log_policy({"data": data}, "code", code)
    assert (policy.mode, policy.explicit) == (mode, explicit)
    assert policy.team_sees_output is (mode == "full")


def test_predictions_phases_and_the_excerpt_cap() -> None:
    assert log_policy({"data": HIDDEN}, "predictions", None).mode == "full"
    capped = log_policy({"data": HIDDEN}, "code", {**CODE, "logs": "excerpt", "excerpt_bytes": 99})
    assert capped.excerpt_bytes == 99
    assert log_policy({"data": HIDDEN}, "code", CODE).excerpt_bytes == 2048


def test_judging_is_told_to_withhold_exactly_when_the_team_may_not_see(tmp_path: Path) -> None:
    dirs = ChallengeDirs(tmp_path / "reference", tmp_path / "inputs", tmp_path / "scoring")
    config: dict[str, Any] = {
        "data": {**HIDDEN, "reference": [{"path": "reference/answers.csv"}]},
        "scoring": {"builtin": {"id_column": "id", "target_column": "y", "prediction_column": "y"}},
        "leaderboard": {"columns": [{"key": "rmse", "metric": "rmse"}]},
        "phases": [
            {"name": "hidden", "kind": "code", "code": CODE},
            {"name": "shown", "kind": "code", "code": {**CODE, "logs": "full"}},
        ],
    }
    upload = tmp_path / "program.zip"
    for phase, shown in (("hidden", False), ("shown", True)):
        request = build_request(config, phase, upload, dirs, "marea-runner:latest")
        assert request.ingestion is not None
        assert request.ingestion.team_sees_output is shown


# -- the excerpt ----------------------------------------------------------------------------------


def test_an_excerpt_is_the_end_of_stderr_then_of_stdout_within_the_cap() -> None:
    logs = {
        "withheld": {"stdout": "step 1\nstep 2\n", "stderr": "Traceback\nValueError: bad\n"},
        "organiser": {"detail": "exit code 3", "stderr": "the scorer's own words"},
    }
    whole = cut_excerpt(logs, 1000)
    assert whole == (
        "--- stderr ---\nTraceback\nValueError: bad\n\n--- stdout ---\nstep 1\nstep 2\n"
    )
    assert "scorer" not in whole and "exit code" not in whole  # never the organisers' half
    tight = cut_excerpt(logs, 20)
    assert tight == f"--- stderr ---\n{CUT_MARK}ack\nValueError: bad\n"
    assert len(b"ack\nValueError: bad\n") == 20


def test_an_excerpt_drops_the_count_of_bytes_not_kept_and_never_splits_a_character() -> None:
    kept = "[... 123456 earlier bytes not kept ...]\nlast line\n"
    excerpt = cut_excerpt({"withheld": {"stdout": kept, "stderr": ""}}, 100)
    assert "123456" not in excerpt and excerpt == f"--- stdout ---\n{CUT_MARK}last line\n"
    accents = cut_excerpt({"withheld": {"stdout": "èèè", "stderr": ""}}, 5)  # 2 bytes each
    assert accents == f"--- stdout ---\n{CUT_MARK}èè"


def test_an_excerpt_is_cut_from_wherever_judging_put_the_output() -> None:
    assert program_output({"participant": {"stdout": "a", "stderr": "b"}}) == {
        "stderr": "b",
        "stdout": "a",
    }
    assert program_output({"organiser": {"stdout": "scorer", "stderr": "scorer"}}) == {}
    assert cut_excerpt({"participant": {}, "organiser": {"detail": "x"}}, 100) == ""


# -- the policy applied when logs are shown -------------------------------------------------------


def test_a_tightened_policy_hides_the_logs_of_earlier_runs(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    stored = store.put_bytes(
        json.dumps({"participant": {"stdout": "secret input"}, "organiser": {"d": "x"}}).encode()
    )
    run = Submission(
        id=1, challenge_id=1, phase_id=1, team_id=1, user_id=1, kind="code",
        file_sha256="0" * 64, filename="p.zip", size=1, logs_sha256=stored.sha256,
    )  # fmt: skip
    approved = LogExcerpt(
        submission_id=1, logs_sha256=stored.sha256, text="approved", excerpt_bytes=10
    )
    assert team_logs(store, run, LogPolicy("full"), None) == {
        "participant": {"stdout": "secret input"}
    }
    assert team_logs(store, run, LogPolicy("none"), None) == {}
    assert team_logs(store, run, LogPolicy("excerpt"), None) == {}
    assert team_logs(store, run, LogPolicy("excerpt"), approved) == {"excerpt": {"log": "approved"}}
    assert team_logs(store, run, LogPolicy("none"), approved) == {}


# -- the keys in challenge.yaml -------------------------------------------------------------------


def _bundle_with_code(tmp_path: Path, code: dict[str, Any]) -> Path:
    bundle = copy_valid(tmp_path / "bundle")
    yaml = YAML()
    path = bundle / "challenge.yaml"
    config = yaml.load(path.read_text())
    config["phases"][1]["kind"] = "code"
    config["phases"][1]["code"] = code
    config["baseline"] = None
    with path.open("w") as fh:
        yaml.dump(config, fh)
    return bundle


@pytest.mark.parametrize(
    ("code", "needle", "fragment", "category"),
    [
        ({**CODE, "logs": "partial"}, "partial", "'partial' is not allowed", ErrorCategory.SCHEMA),
        ({**CODE, "logs": "excerpt", "excerpt_bytes": 10}, "excerpt_bytes", "64", ErrorCategory.SCHEMA),
        ({**CODE, "logs": "none", "excerpt_bytes": 512}, "excerpt_bytes", "is `none`, not `excerpt`",
         ErrorCategory.RULE),
        ({**CODE, "excerpt_bytes": 512}, "excerpt_bytes", "is the default, not `excerpt`",
         ErrorCategory.RULE),
    ],
    ids=["unknown mode", "cap too small", "cap without excerpt", "cap with the default"],
)  # fmt: skip
def test_log_keys_are_validated_with_located_errors(
    tmp_path: Path, code: dict[str, Any], needle: str, fragment: str, category: ErrorCategory
) -> None:
    bundle = _bundle_with_code(tmp_path, code)
    with validate_bundle(bundle) as report:
        assert [e.category for e in report.errors] == [category], [str(e) for e in report.errors]
        error = report.errors[0]
    assert fragment in error.message, error.message
    assert (error.file, error.line) == (
        "challenge.yaml",
        line_of(bundle / "challenge.yaml", needle),
    )
    assert error.hint.strip()


@pytest.mark.parametrize("logs", ["full", "excerpt", "none"])
def test_every_log_mode_is_valid(tmp_path: Path, logs: str) -> None:
    code = {**CODE, "logs": logs, **({"excerpt_bytes": 4096} if logs == "excerpt" else {})}
    with validate_bundle(_bundle_with_code(tmp_path, code)) as report:
        assert [str(e) for e in report.errors] == []
        assert report.challenge is not None
        run = report.challenge.phases[1].code
        assert run is not None and run.logs is not None and run.logs.value == logs
