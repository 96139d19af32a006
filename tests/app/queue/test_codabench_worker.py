"""A Codabench competition imported with `marea challenge import codabench` is judged by a real
worker, and gives the score Codabench's own scoring program gives when run the way Codabench
runs it: in a container, with `/app/input/ref`, `/app/input/res`, `/app/output` and the
command of its metadata.yaml."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import docker
from sqlmodel import Session, select

from app.bundles.codabench import import_codabench
from app.challenges.models import Phase
from app.models import Score
from app.submissions.models import Status, Submission
from app.submissions.service import create_submission
from app.teams.models import Team
from tests.app.queue.conftest import Stack
from tests.bundles.codabench_helpers import fill_placeholders

WHEAT = Path(__file__).resolve().parents[2] / "fixtures" / "codabench" / "competition.zip"


def _organiser_edits(bundle: Path) -> None:
    """Placeholders filled; the 2019 phases moved to now (development open, testing later);
    one set of answers for both boards, the choice the import's report offers."""
    fill_placeholders(bundle)
    text = (bundle / "challenge.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("2019-08-07T00:00:00Z", "2020-01-01T00:00:00Z"),
        ("2019-09-30T00:00:00Z", "2099-01-01T00:00:00Z"),
        ("2019-10-01T00:00:00Z", "2099-01-01T00:00:00Z"),
        ("2019-12-30T00:00:00Z", "2099-12-30T00:00:00Z"),
    ):
        assert old in text
        text = text.replace(old, new)
    (bundle / "challenge.yaml").write_text(text, encoding="utf-8")
    shutil.rmtree(bundle / "reference" / "private")
    shutil.copytree(bundle / "reference" / "public", bundle / "reference" / "private")


def _results(bundle: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A results folder a Codabench team would hand in, and its zip: every third label wrong."""
    truth = (bundle / "reference" / "public" / "testing_label").read_text().split()
    guesses = [("1.0000000e+00" if i % 3 == 0 else label) for i, label in enumerate(truth)]
    results = tmp_path / "results"
    results.mkdir()
    (results / "prediction").write_text("\n".join(guesses) + "\n")
    (results / "metadata.json").write_text('{"duration": 2.25}')
    archive = tmp_path / "predictions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for item in results.iterdir():
            zf.write(item, item.name)
    return results, archive


def _as_codabench_runs_it(
    client: docker.DockerClient, image: str, bundle: Path, results: Path, tmp_path: Path
) -> dict[str, float]:
    metadata = (bundle / "scoring" / "program" / "metadata.yaml").read_text()
    command = metadata.split("command:", 1)[1].strip()
    assert command == "python3 /app/program/scoring.py /app/input/ /app/output/"
    output = tmp_path / "codabench-output"
    output.mkdir(mode=0o777)
    output.chmod(0o777)
    client.containers.run(
        image,
        ["sh", "-c", command],
        volumes={
            str(bundle / "scoring" / "program"): {"bind": "/app/program", "mode": "ro"},
            str(bundle / "reference" / "public"): {"bind": "/app/input/ref", "mode": "ro"},
            str(results): {"bind": "/app/input/res", "mode": "ro"},
            str(output): {"bind": "/app/output", "mode": "rw"},
        },
        working_dir="/app/program",
        network_mode="none",
        remove=True,
    )
    scores: dict[str, float] = json.loads((output / "scores.json").read_text())
    return scores


def test_an_imported_codabench_competition_is_judged_by_a_worker(
    stack: Stack, tmp_path: Path, docker_client: docker.DockerClient, runner_image: str
) -> None:
    bundle = tmp_path / "wheat"
    import_codabench(WHEAT, bundle)
    _organiser_edits(bundle)
    results, archive = _results(bundle, tmp_path)
    expected = _as_codabench_runs_it(docker_client, runner_image, bundle, results, tmp_path)
    assert 0 < expected["accuracy"] < 1

    challenge = stack.load(bundle)
    team = stack.team(challenge, "Granai")
    stored = stack.runtime.store.put_file(archive)
    with Session(stack.runtime.engine, expire_on_commit=False) as session:
        phase = session.exec(
            select(Phase).where(
                Phase.challenge_id == challenge.id, Phase.name == "development-phase"
            )
        ).one()
        fresh = session.get(Team, team.id)
        assert fresh is not None
        made = create_submission(
            session, phase=phase, team=fresh, user_id=team.captain_id, stored=stored,
            filename=archive.name,
        )  # fmt: skip
        assert isinstance(made, Submission), made
        session.commit()
        submission_id = made.id
    assert submission_id is not None
    stack.start_worker()
    stack.wait_for(
        lambda: stack.submission(submission_id).status in (Status.scored, Status.failed),
        180,
        "the imported competition's submission to be judged",
    )
    row = stack.submission(submission_id)
    assert row.status == Status.scored, row.message
    with Session(stack.runtime.engine) as session:
        scores = session.exec(select(Score).where(Score.submission_id == submission_id)).all()
    got = {(s.split, s.key): s.value for s in scores if s.current}
    assert got == {
        ("public", "accuracy"): expected["accuracy"],
        ("private", "accuracy"): expected["accuracy"],
    }
