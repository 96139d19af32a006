"""Project phases in bundles: a project-only challenge leaves the metric sections out; a mixed
one (metric phases, then a project phase) keeps them and stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bundles import validate_bundle

pytestmark = pytest.mark.unit

PROJECT_ONLY = Path(__file__).resolve().parents[1] / "fixtures" / "project_bundle"

PROJECT_PHASE = """  - name: demo-day
    title: {it: "Giornata delle demo", en: "Demo day"}
    start: 2026-03-15T18:00:00+01:00
    end: 2026-03-20T18:00:00+01:00
    kind: project
"""


def test_the_shared_project_only_fixture_is_valid() -> None:
    with validate_bundle(PROJECT_ONLY) as report:
        assert [str(e) for e in report.errors] == []
        assert report.challenge is not None and report.challenge.project_only()


def test_a_mixed_challenge_is_valid(valid_bundle: Path) -> None:
    yaml = valid_bundle / "challenge.yaml"
    text = yaml.read_text(encoding="utf-8")
    text = text.replace("teams: {", PROJECT_PHASE + "teams: {", 1)
    text += "project: {licences: [EUPL-1.2, MIT]}\n"
    yaml.write_text(text, encoding="utf-8")
    with validate_bundle(valid_bundle) as report:
        assert [str(e) for e in report.errors] == []
        assert report.challenge is not None and not report.challenge.project_only()
        assert report.challenge.scoring is not None


def test_a_mixed_challenge_still_needs_its_combine(valid_bundle: Path) -> None:
    yaml = valid_bundle / "challenge.yaml"
    text = yaml.read_text(encoding="utf-8")
    text = text.replace("teams: {", PROJECT_PHASE + "teams: {", 1)
    text = text.replace(
        "  combine: {metric_weight: 0.7, rubric_weight: 0.3, normalise_judges: true}\n", ""
    )
    yaml.write_text(text + "project: {licences: [MIT]}\n", encoding="utf-8")
    with validate_bundle(valid_bundle) as report:
        assert [e.message for e in report.errors] == [
            "judging has no `combine`, which a challenge with a scored phase needs"
        ]
