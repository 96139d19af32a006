"""`marea challenge validate` as organisers run it: output lines and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bundle_helpers import MARKER, line_of, overlay
from typer.testing import CliRunner

from app.cli.challenge import challenge_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_valid_bundle_prints_ok_and_exits_0(valid_bundle: Path) -> None:
    result = CliRunner().invoke(challenge_app, ["validate", str(valid_bundle)])
    assert result.exit_code == 0, result.output
    assert "OK harbour-wave-height" in result.output


def test_one_invalid_bundle_makes_the_run_fail(valid_bundle: Path, tmp_path: Path) -> None:
    broken = overlay("end_before_start", tmp_path / "broken")
    line = line_of(broken / "challenge.yaml", MARKER)
    result = CliRunner().invoke(challenge_app, ["validate", str(valid_bundle), str(broken)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "OK harbour-wave-height" in lines[0]
    location = f"{broken / 'challenge.yaml'}:{line}:"
    error_at = next(i for i, text in enumerate(lines) if text.startswith(location))
    assert "is not after its start" in lines[error_at]
    assert lines[error_at + 1].startswith("  fix: ")
    assert any(text.startswith("INVALID") for text in lines)


def test_zip_errors_name_the_zip(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"not really a zip")
    result = CliRunner().invoke(challenge_app, ["validate", str(archive)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{archive}: cannot read the zip file")


def test_module_entry_point_exit_codes(valid_bundle: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "app.cli.challenge", "validate"]
    good = subprocess.run(
        [*command, str(valid_bundle)], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert good.returncode == 0, good.stdout + good.stderr
    broken = overlay("unknown_key_top", tmp_path / "broken")
    bad = subprocess.run([*command, str(broken)], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "unknown key `license`" in bad.stdout


def test_lang_it_says_the_errors_and_fixes_in_italian(tmp_path: Path) -> None:
    broken = overlay("unknown_key_top", tmp_path / "broken")
    result = CliRunner().invoke(challenge_app, ["validate", "--lang", "it", str(broken)])
    assert result.exit_code == 1, result.output
    assert "(livello principale): chiave sconosciuta `license`" in result.output
    assert "  come correggere: intendevate `licence`?" in result.output
    english = CliRunner().invoke(challenge_app, ["validate", str(broken)])
    assert "(top level): unknown key `license`" in english.output
    assert "  fix: did you mean `licence`?" in english.output
