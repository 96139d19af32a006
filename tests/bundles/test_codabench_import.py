"""`marea challenge import codabench`: Codabench's own test bundles become format-1 bundles.

The fixtures (tests/fixtures/codabench, Apache-2.0, from codalab/codabench) are used as they
are. What the import cannot map is listed; its placeholders keep the bundle invalid until an
organiser fills them; a hostile zip is refused; the scoring adapter turns a real Codabench
scoring program's scores.json, and a CodaLab scores.txt, into Marea's scores JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.bundles import codabench_adapter as adapter
from app.bundles.codabench import ImportRefused, import_codabench
from app.bundles.limits import BundleLimits
from app.bundles.validate import validate_bundle
from app.cli.challenge import challenge_app
from tests.bundles.codabench_helpers import fill_placeholders as _fill_placeholders

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codabench"
V2 = FIXTURES / "competition.zip"
V15 = FIXTURES / "competition_15_iris.zip"
IMAGES = ("marea-runner:py311",)


def _errors(bundle: Path) -> list[str]:
    with validate_bundle(bundle, images=IMAGES) as report:
        return [f"{e.where()}: {e.message}" for e in report.errors]


@pytest.mark.parametrize("source", [V2, V15], ids=["codabench-v2", "codalab-v1.5"])
def test_fixture_imports_and_validates_once_filled(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = import_codabench(source, out)
    assert (out / "challenge.yaml").is_file()
    assert (out / "scoring" / "adapter.py").is_file()
    errors = _errors(out)
    assert errors, "the placeholders must keep the bundle invalid"
    assert all("placeholder left by the import" in e for e in errors), errors
    assert any(e.startswith("challenge.yaml:") and "licence" in e for e in errors)
    assert any(e.startswith("pages/overview.it.md:1:1") for e in errors)
    _fill_placeholders(out)
    assert _errors(out) == []
    report = (out / "IMPORT.md").read_text(encoding="utf-8")
    assert "licence" in report and "Italian" in report
    assert len(result.unmapped) == report.count("  - to do:")


def test_v2_maps_columns_phases_and_lists_what_it_cannot(tmp_path: Path) -> None:
    out = tmp_path / "wheat"
    result = import_codabench(V2, out)
    text = (out / "challenge.yaml").read_text(encoding="utf-8")
    assert "rank_by: accuracy" in text  # the column at index 0
    assert "key: duration" not in text  # the ingestion's run time: left out, and listed
    assert "competition.yaml: leaderboard column duration" in [u.where for u in result.unmapped]
    assert "start: '2019-08-07T00:00:00Z'" in text or "start: 2019-08-07T00:00:00Z" in text
    assert (out / "reference" / "public" / "testing_label").read_bytes() == zipfile.ZipFile(
        V2
    ).read("dev_phase/reference_data/testing_label")
    assert (out / "reference" / "private" / "testing_label").is_file()
    assert (out / "baseline" / "predictions.zip").is_file()  # the first solution
    wheres = [u.where for u in result.unmapped]
    assert "competition.yaml: phases[1].reference_data" in wheres  # differs per phase
    assert "competition.yaml: phases[1].end" in wheres  # the last phase has no end
    assert "competition.yaml: phases[0].ingestion_program" in wheres
    assert "challenge.yaml: licence" in wheres


def test_v15_converts_html_pages_and_maps_the_image(tmp_path: Path) -> None:
    out = tmp_path / "iris"
    result = import_codabench(V15, out)
    overview = (out / "pages" / "overview.en.md").read_text(encoding="utf-8")
    assert "<" not in overview.replace("<!--", "")  # HTML became Markdown
    assert overview.strip()
    text = (out / "challenge.yaml").read_text(encoding="utf-8")
    assert "per_day: 15" in text and "total: 100" in text
    assert "rank_by: set1_score" in text and "key: duration" not in text
    wheres = [u.where for u in result.unmapped]
    assert "competition.yaml: docker image" in wheres
    assert "competition.yaml: enable_detailed_results" in wheres
    assert "competition.yaml: starting_kit (starting_kit.zip)" in wheres
    assert "competition.yaml: image (logo.png)" in wheres
    assert any("codalab/codalab-legacy:py37" in str(u.what) for u in result.unmapped)


def test_cli_prints_the_report(tmp_path: Path) -> None:
    out = tmp_path / "wheat"
    done = CliRunner().invoke(challenge_app, ["import", "codabench", str(V2), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "IMPORTED classify-wheat-seeds" in done.output
    assert "challenge.yaml: licence" in done.output
    again = CliRunner().invoke(challenge_app, ["import", "codabench", str(V2), "-o", str(out)])
    assert again.exit_code == 1 and "not empty" in again.output


def _zip(path: Path, members: dict[str, bytes], *, link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("competition.yaml", "version: 2\ntitle: x\n")
        for name, data in members.items():
            zf.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return path


def test_hostile_zips_are_refused(tmp_path: Path) -> None:
    cases = {
        "symlink": (_zip(tmp_path / "a.zip", {}, link="data/evil"), "symbolic link"),
        "dotdot": (_zip(tmp_path / "b.zip", {"../escape.txt": b"x"}), "'..'"),
        "huge": (_zip(tmp_path / "c.zip", {"big.bin": b"0" * 4096}), "limit per file"),
    }
    small = BundleLimits(max_file_bytes=1024)
    for name, (archive, said) in cases.items():
        with pytest.raises(ImportRefused) as refused:
            import_codabench(archive, tmp_path / f"out-{name}", small)
        messages = " ".join(str(e) for e in refused.value.errors)
        assert said in messages, (name, messages)
        assert refused.value.errors[0].file == archive.name
    assert not (tmp_path / "escape.txt").exists()


def test_hostile_zip_inside_a_v15_bundle_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "reference.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("../../outside.txt", "x")
    folder = tmp_path / "src"
    folder.mkdir()
    shutil.copy(inner, folder / "reference.zip")
    (folder / "competition.yaml").write_text(
        "title: t\nphases:\n  1: {label: Dev, start_date: 2020-01-01, reference_data: "
        "reference.zip, scoring_program: reference.zip}\n"
        "leaderboard: {columns: {score: {label: S, rank: 1}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused, match=r"'\.\.'"):
        import_codabench(folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written is left


def test_a_source_folder_with_a_symlink_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "competition.yaml").write_text("version: 2\ntitle: x\n", encoding="utf-8")
    (folder / "secret").symlink_to("/etc/passwd")
    with pytest.raises(ImportRefused, match="symbolic link"):
        import_codabench(folder, tmp_path / "out")


# -- the adapter, run with python as the scoring container would (no docker) -----------------


def test_scores_txt_and_json_are_read(tmp_path: Path) -> None:
    assert adapter.parse_scores_txt("set1_score: 0.75\nDuration: 1.5\nnoise\n") == {
        "set1_score": 0.75,
        "Duration": 1.5,
    }
    (tmp_path / "scores.json").write_text('{"accuracy": 0.5, "note": "x", "n": "2"}')
    assert adapter.read_program_scores(tmp_path) == {"accuracy": 0.5, "n": 2.0}
    assert adapter.to_marea({"accuracy": 0.5}, {"accuracy": "acc", "Duration": "duration"}) == (
        "the scoring program wrote no score for column 'Duration'"
    )


def _run_adapter(bundle: Path, predictions: Path, tmp_path: Path) -> dict[str, object]:
    scores = tmp_path / "scores.json"
    env = {
        **os.environ,
        "MAREA_REFERENCE_DIR": str(bundle),
        "MAREA_PREDICTIONS_FILE": str(predictions),
        "MAREA_SCORES_FILE": str(scores),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        [sys.executable, "adapter.py"], cwd=bundle / "scoring", env=env, check=False, timeout=120
    )
    assert done.returncode == 0
    loaded = json.loads(scores.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_adapter_runs_codabench_scoring_program_scores_json(tmp_path: Path) -> None:
    """The wheat bundle's own scoring.py (numpy, scikit-learn) scores a results zip."""
    pytest.importorskip("sklearn")
    bundle = tmp_path / "wheat"
    import_codabench(V2, bundle)
    truth = (bundle / "reference" / "public" / "testing_label").read_bytes()
    predictions = tmp_path / "predictions.zip"
    with zipfile.ZipFile(predictions, "w") as zf:
        zf.writestr("prediction", truth)
        zf.writestr("metadata.json", '{"duration": 3.5}')
    # As imported, the final phase's answers (53 rows) differ from the development ones (40):
    # one results file cannot match both, and the adapter says the submission is invalid.
    assert "invalid" in _run_adapter(bundle, predictions, tmp_path)
    # The organiser's choice the report offers: the development answers for both parts.
    shutil.rmtree(bundle / "reference" / "private")
    shutil.copytree(bundle / "reference" / "public", bundle / "reference" / "private")
    answer = _run_adapter(bundle, predictions, tmp_path)
    assert answer == {"public": {"accuracy": 1.0}, "private": {"accuracy": 1.0}}


def test_adapter_reads_scores_txt_and_passes_codalab_argv(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    (bundle / "scoring" / "program").mkdir(parents=True)
    for part in ("public", "private"):
        (bundle / "reference" / part).mkdir(parents=True)
        (bundle / "reference" / part / "answer").write_text("3" if part == "public" else "4")
    shutil.copy(adapter.__file__, bundle / "scoring" / "adapter.py")
    (bundle / "scoring" / "codabench.json").write_text(
        json.dumps(
            {
                "command": "python $program/score.py $input $output",
                "columns": {"set1_score": "set1_score"},
                "reference": {"public": "reference/public", "private": "reference/private"},
            }
        )
    )
    (bundle / "scoring" / "program" / "score.py").write_text(
        "import sys, pathlib\n"
        "i, o = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "truth = float((i / 'ref' / 'answer').read_text())\n"
        "guess = float((i / 'res' / 'guess.txt').read_text())\n"
        "(o / 'scores.txt').write_text(f'set1_score: {abs(truth - guess)}\\nDuration: 0\\n')\n"
    )
    guess = tmp_path / "guess.txt"
    guess.write_text("3.5")
    assert _run_adapter(bundle, guess, tmp_path) == {
        "public": {"set1_score": 0.5},
        "private": {"set1_score": 0.5},
    }
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("other.txt", "x")
    answer = _run_adapter(bundle, broken, tmp_path)
    assert "invalid" in answer


# -- through the real sandbox: `marea judge` against Codabench's own scoring program ---------

MAREA = str(Path(sys.executable).with_name("marea"))


def _codabench_scores(program: Path, reference: Path, results: Path, tmp_path: Path) -> object:
    """Codabench's way, outside Marea: ref/ and res/ under input/, the program's own argv."""
    root = tmp_path / "codabench"
    shutil.copytree(reference, root / "input" / "ref")
    shutil.copytree(results, root / "input" / "res")
    (root / "output").mkdir()
    subprocess.run(
        [sys.executable, str(program / "scoring.py"), f"{root}/input/", f"{root}/output/"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return json.loads((root / "output" / "scores.json").read_text(encoding="utf-8"))


@pytest.mark.docker
def test_marea_judge_gives_the_scores_of_codabench_program(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    bundle = tmp_path / "wheat"
    import_codabench(V2, bundle)
    _fill_placeholders(bundle)
    # One results file cannot answer both phases' different test sets: the organiser's choice
    # the report offers, the development answers on both boards.
    shutil.rmtree(bundle / "reference" / "private")
    shutil.copytree(bundle / "reference" / "public", bundle / "reference" / "private")
    truth = (bundle / "reference" / "public" / "testing_label").read_text().split()
    guesses = [("1.0000000e+00" if i % 3 == 0 else label) for i, label in enumerate(truth)]
    results = tmp_path / "results"
    results.mkdir()
    (results / "prediction").write_text("\n".join(guesses) + "\n")
    (results / "metadata.json").write_text('{"duration": 2.25}')
    predictions = tmp_path / "predictions.zip"
    with zipfile.ZipFile(predictions, "w") as zf:
        for item in results.iterdir():
            zf.write(item, item.name)
    expected = _codabench_scores(
        bundle / "scoring" / "program", bundle / "reference" / "public", results, tmp_path
    )
    assert isinstance(expected, dict) and 0 < expected["accuracy"] < 1
    done = subprocess.run(
        [MAREA, "judge", str(bundle), str(predictions), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "scored", data
    want = {"accuracy": expected["accuracy"]}
    assert data["scores"] == {"public": want, "private": want}
