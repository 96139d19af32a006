"""Hidden files supplied apart from the bundle (`--hidden`), so a bundle can live in the open.

The valid fixture is split in two: the bundle without its answers, and a folder (or a zip)
holding `reference/answers.csv` at that same path. Together they are the same challenge as the
fixture (the same bundle hash); apart, or mixed up, every problem is located.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from bundle_helpers import VALID, copy_valid, line_of, zip_folder
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.bundles import ErrorCategory, load_bundle, validate_bundle
from app.challenges.models import DataFile
from sandbox import sha256_file
from tests.app.organisers.conftest import client, redis_15, site, web_settings
from tests.app.web.web_helpers import Person, engine_of, person

__all__ = ["client", "redis_15", "site", "web_settings"]

ANSWERS = "reference/answers.csv"
MAREA = str(Path(sys.executable).with_name("marea"))


def split(tmp: Path) -> tuple[Path, Path]:
    """The fixture with its answers moved out into a folder of hidden files."""
    bundle = copy_valid(tmp / "bundle")
    hidden = tmp / "hidden"
    (hidden / "reference").mkdir(parents=True)
    shutil.move(bundle / ANSWERS, hidden / ANSWERS)
    (bundle / "reference").rmdir()
    return bundle, hidden


def answers_line(bundle: Path) -> tuple[int, int]:
    line = line_of(bundle / "challenge.yaml", f"path: {ANSWERS}")
    text = (bundle / "challenge.yaml").read_text().splitlines()[line - 1]
    return line, text.index(ANSWERS) + 1


def test_missing_hidden_files_are_named_with_how_to_supply_them(tmp_path: Path) -> None:
    bundle, _ = split(tmp_path)
    with validate_bundle(bundle) as report:
        assert len(report.errors) == 1, [str(e) for e in report.errors]
        error = report.errors[0]
    assert (error.file, error.line, error.column) == ("challenge.yaml", *answers_line(bundle))
    assert f"hidden reference file '{ANSWERS}' is not in the bundle" in error.message
    assert "--hidden PATH" in error.hint and ANSWERS in error.hint
    assert error.category is ErrorCategory.FILE and not error.in_hidden


def _as_folder(hidden: Path, tmp: Path) -> Path:
    return hidden


def _as_flat_zip(hidden: Path, tmp: Path) -> Path:
    return zip_folder(hidden, tmp / "hidden.zip")


def _as_wrapped_zip(hidden: Path, tmp: Path) -> Path:
    return zip_folder(hidden, tmp / "hidden.zip", "my-hidden-files/")


@pytest.mark.parametrize(
    "pack", [_as_folder, _as_flat_zip, _as_wrapped_zip], ids=["folder", "zip", "wrapped-zip"]
)
def test_bundle_and_hidden_files_are_the_same_challenge_as_one_bundle(
    tmp_path: Path, pack: Callable[[Path, Path], Path]
) -> None:
    bundle, hidden = split(tmp_path)
    with load_bundle(VALID) as whole:
        expected = (whole.sha256, [(f.path, f.role, f.sha256) for f in whole.files])
    with load_bundle(bundle, hidden=pack(hidden, tmp_path)) as loaded:
        assert (loaded.sha256, [(f.path, f.role, f.sha256) for f in loaded.files]) == expected
        answers = loaded.path_of(ANSWERS)
        assert bundle.resolve() not in answers.resolve().parents
        assert answers.read_bytes() == (VALID / ANSWERS).read_bytes()


def _in_both(bundle: Path, hidden: Path) -> None:
    (bundle / "reference").mkdir()
    shutil.copy(hidden / ANSWERS, bundle / ANSWERS)


def _stray(bundle: Path, hidden: Path) -> None:
    (hidden / "reference" / "notes.txt").write_text("answers were made on 2 March\n")


def _public_file_among_hidden(bundle: Path, hidden: Path) -> None:
    (hidden / "data").mkdir()
    shutil.copy(bundle / "data" / "train.csv", hidden / "data" / "train.csv")


def _bad_answers(bundle: Path, hidden: Path) -> None:
    text = (hidden / ANSWERS).read_text().replace("42,1.16,private", "42,1.16,test")
    (hidden / ANSWERS).write_text(text)


def _public_copy_of_hidden_answers(bundle: Path, hidden: Path) -> None:
    shutil.copy(hidden / ANSWERS, bundle / "data" / "test.csv")


def _answers_missing_from_hidden(bundle: Path, hidden: Path) -> None:
    (hidden / ANSWERS).rename(hidden / "reference" / "answer.csv")


@dataclass(frozen=True)
class Mistake:
    name: str
    change: Callable[[Path, Path], None]
    file: str
    at_answers: bool  # located at the answers' path in challenge.yaml
    fragment: str
    in_hidden: bool
    line: int | None = None
    count: int = 1  # errors in all: one, unless the mistake is also a second one


MISTAKES = [
    Mistake(
        "in-both", _in_both, "challenge.yaml", True, "both in the bundle and in the hidden", False
    ),
    Mistake("stray", _stray, "reference/notes.txt", False, "does not name it", True),
    Mistake(
        "public-file", _public_file_among_hidden, "data/train.csv", False, "does not name", True
    ),
    Mistake("bad-answers", _bad_answers, ANSWERS, False, "split is 'test'", True, 3),
    Mistake(
        "copy-in-bundle",
        _public_copy_of_hidden_answers,
        "challenge.yaml",
        False,
        "public data file 'data/test.csv' has the same content as the reference",
        False,
        count=2,  # data/test.csv is an input too: both entries must change
    ),
    Mistake(
        "missing",
        _answers_missing_from_hidden,
        "challenge.yaml",
        True,
        "neither in the bundle nor in the hidden files",
        False,
        count=2,  # the misnamed file is also stray among the hidden files
    ),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_mixing_up_bundle_and_hidden_files_is_located(mistake: Mistake, tmp_path: Path) -> None:
    bundle, hidden = split(tmp_path)
    mistake.change(bundle, hidden)
    with validate_bundle(bundle, hidden=hidden) as report:
        errors = report.errors
    assert len(errors) == mistake.count, [str(e) for e in errors]
    error = next(e for e in errors if mistake.fragment in e.message)
    assert error.file == mistake.file and error.in_hidden is mistake.in_hidden, str(error)
    if mistake.at_answers:
        assert (error.line, error.column) == answers_line(bundle)
    elif mistake.line is not None:
        assert error.line == mistake.line
    assert error.hint.strip()


@pytest.mark.parametrize("kind", ["not-a-zip", "unsafe-zip", "nowhere"])
def test_unusable_hidden_files_are_refused_as_such(tmp_path: Path, kind: str) -> None:
    bundle, hidden = split(tmp_path)
    target = tmp_path / "hidden.zip"
    if kind == "not-a-zip":
        target.write_text("these are not the hidden files")
        target = target.with_suffix(".txt")
        (tmp_path / "hidden.zip").rename(target)
    elif kind == "unsafe-zip":
        with zipfile.ZipFile(target, "w") as zf:
            zf.write(hidden / ANSWERS, ANSWERS)
            zf.writestr("../escape.txt", "out")
    else:
        target = tmp_path / "nowhere"
    with validate_bundle(bundle, hidden=target) as report:
        assert [(e.category, e.in_hidden) for e in report.errors] == [(ErrorCategory.ARCHIVE, True)]
        assert report.challenge is None
    assert not (tmp_path / "escape.txt").exists()


def test_the_command_line_takes_hidden_files_and_the_allowed_images(tmp_path: Path) -> None:
    """`marea challenge validate` needs no database: the URL below would fail if it tried."""
    bundle, hidden = split(tmp_path)
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(tmp_path / "var"),
        "MAREA_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }

    def validate(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MAREA, "challenge", "validate", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    ok = validate(str(bundle), "--hidden", str(hidden))
    assert ok.returncode == 0 and "OK harbour-wave-height" in ok.stdout, ok.stdout + ok.stderr
    missing = validate(str(bundle))
    line, column = answers_line(bundle)
    assert missing.returncode == 1
    assert missing.stdout.startswith(f"{bundle / 'challenge.yaml'}:{line}:{column}: hidden")
    _stray(bundle, hidden)
    stray = validate(str(bundle), "--hidden", str(hidden))
    assert stray.stdout.startswith(f"{hidden / 'reference/notes.txt'}: "), stray.stdout
    two = validate(str(bundle), str(VALID), "--hidden", str(hidden))
    assert two.returncode == 2 and "exactly one bundle" in two.stdout

    config = bundle / "challenge.yaml"
    config.write_text(
        config.read_text().replace(
            "runner_image: null\nscoring:", 'runner_image: "ghcr.io/city/runner:2"\nscoring:'
        )
    )
    (hidden / "reference" / "notes.txt").unlink()
    refused = validate(str(bundle), "--hidden", str(hidden))
    assert refused.returncode == 1 and "is not an image this site allows" in refused.stdout
    allowed = validate(
        str(bundle), "--hidden", str(hidden), MAREA_ALLOWED_RUNNER_IMAGES="ghcr.io/city/runner:2"
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def _upload(org: Person, bundle: bytes, hidden: bytes | None) -> tuple[int, str]:
    files = {"bundle": ("bundle.zip", bundle, "application/zip")}
    if hidden is not None:
        files["hidden"] = ("hidden.zip", hidden, "application/zip")
    response = org.client.post(
        "/organise/upload",
        data={"csrf_token": org.csrf("/organise")},
        files=files,
        follow_redirects=False,
    )
    return response.status_code, response.text


def test_the_upload_page_takes_the_hidden_files_as_a_second_zip(
    site: TestClient, tmp_path: Path
) -> None:
    org = person(site, "org@example.org", "Olga Organiser", Role.organiser)
    bundle, hidden = split(tmp_path)
    bundle_zip = zip_folder(bundle, tmp_path / "bundle.zip", "harbour-wave-height/").read_bytes()
    status, page = _upload(org, bundle_zip, None)
    line, column = answers_line(bundle)
    rows = re.findall(r'<tr class="bundle-error"><td><code>([^<]+)</code>', page)
    assert (status, rows) == (422, [f"challenge.yaml:{line}:{column}"])
    assert "--hidden PATH" in page

    _stray(bundle, hidden)
    status, page = _upload(org, bundle_zip, zip_folder(hidden, tmp_path / "h1.zip").read_bytes())
    assert status == 422
    rows = re.findall(r'<tr class="bundle-error"><td>([^<]*)<code>([^<]+)</code>', page)
    assert rows in (  # the page is in the site's default language
        [("file nascosti: ", "reference/notes.txt")],
        [("hidden files: ", "reference/notes.txt")],
    ), rows

    (hidden / "reference" / "notes.txt").unlink()
    status, page = _upload(org, bundle_zip, zip_folder(hidden, tmp_path / "h2.zip").read_bytes())
    assert status == 303, page
    with Session(engine_of(site)) as session:
        stored = session.exec(select(DataFile).where(DataFile.role == "reference")).one()
    assert (stored.path, stored.sha256) == (ANSWERS, sha256_file(VALID / ANSWERS))
