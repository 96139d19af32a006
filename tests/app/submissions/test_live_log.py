"""The live tail of a code run: a real worker, Docker and Redis; written only where the team
may read the program's output (the phase's log policy), and read by the page while it runs."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from ruamel.yaml import YAML

from app.queue.live_logs import KEY, read_live_tail
from app.submissions.models import Status
from tests.app.queue.conftest import Stack, make_bundle, stack

__all__ = ["stack"]

PROGRAM = """\
import csv, os, time
print("tick: reading the inputs", flush=True)
time.sleep(6)
rows = list(csv.DictReader(open(os.path.join(os.environ["MAREA_INPUT_DIR"], "test.csv"))))
with open(os.path.join(os.environ["MAREA_OUTPUT_DIR"], "predictions.csv"), "w") as out:
    out.write("id,wave_height\\n")
    for row in rows:
        out.write(f"{row['id']},1.0\\n")
"""


def _bundle(tmp_path: Path, logs: str) -> Path:
    bundle = make_bundle(tmp_path / "bundle", kind="code", time_limit_s=30)
    yaml = YAML()
    config = yaml.load((bundle / "challenge.yaml").read_text())
    config["phases"][0]["code"]["logs"] = logs
    with (bundle / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return bundle


def _program(tmp_path: Path) -> Path:
    archive = tmp_path / "solution.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.py", PROGRAM)
    return archive


def _run(stack: Stack, tmp_path: Path, logs: str) -> tuple[int, list[str | None]]:
    """Submit the program and read the live tail every 0.3 s while it runs."""
    challenge = stack.load(_bundle(tmp_path, logs))
    team = stack.team(challenge, "Delfini")
    stack.start_worker()
    sid = stack.submit(challenge, team, _program(tmp_path))
    assert stack.dispatch() == [sid]
    stack.wait_for(lambda: stack.submission(sid).status != Status.queued, 60, "the run to start")
    seen: list[str | None] = []
    deadline = time.monotonic() + 60
    while stack.submission(sid).status == Status.running and time.monotonic() < deadline:
        seen.append(read_live_tail(stack.redis, sid))
        time.sleep(0.3)
    stack.wait_for(lambda: stack.submission(sid).status == Status.scored, 60, "the score")
    return sid, seen


def test_the_output_of_a_running_program_is_readable_live_under_full(
    stack: Stack, tmp_path: Path
) -> None:
    sid, seen = _run(stack, tmp_path, "full")
    assert any(text and "tick: reading the inputs" in text for text in seen), seen
    ttl = stack.redis.ttl(KEY.format(submission_id=sid))
    assert 0 < ttl <= 600  # it expires on its own


def test_nothing_is_written_live_when_the_team_may_not_read_the_output(
    stack: Stack, tmp_path: Path
) -> None:
    sid, seen = _run(stack, tmp_path, "none")
    assert seen and all(text is None for text in seen)
    assert stack.redis.get(KEY.format(submission_id=sid)) is None
