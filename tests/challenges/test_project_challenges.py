"""The catalog's project challenges: what a jury judges instead of a score must be all there.

A project challenge has no answers to check, so what can go wrong is what people read: a page
missing in one language, a licence that is not open, a rubric that cannot rank, a window for the
public's vote outside the event, a weight on the evaluation page that differs from the one the
judges' form uses. Each test reads the bundle as an organiser wrote it (the YAML and the pages),
and the validator's verdict as `marea challenge validate` gives it.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from app.bundles import validate_bundle
from tests.challenges.test_challenge_catalog import CATALOG, PROJECTS, config_of

# The licences the event accepts for the teams' work: open source and open content only.
OPEN_LICENCES = frozenset(
    {"EUPL-1.2", "Apache-2.0", "MIT", "GPL-3.0-or-later", "CC-BY-4.0", "CC-BY-SA-4.0"}
)
FILE_TYPES = frozenset({"pdf", "png", "jpeg", "zip"})
LANGUAGES = ("it", "en")
PAGES = ("overview", "data", "evaluation", "rules")
EXPECTED = {"gulf-digital-twin", "city-ransomware-resilience"}
PLACEHOLDER = re.compile(r"\{\{\s*phase\.([a-z0-9-]+)\.(start|end)\s*\}\}")


def event() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((CATALOG / "event" / "event.yaml").read_text())
    return loaded


def page(bundle: Path, name: str, language: str) -> str:
    return (bundle / config_of(bundle)["pages"][name][language]).read_text(encoding="utf-8")


def test_the_catalog_has_both_project_challenges_and_they_are_project_only() -> None:
    assert {b.name for b in PROJECTS} >= EXPECTED
    for bundle in PROJECTS:
        config = config_of(bundle)
        assert {p["kind"] for p in config["phases"]} == {"project"}, bundle.name
        assert "project" in config, bundle.name


@pytest.mark.parametrize("bundle", PROJECTS, ids=lambda b: b.name)
def test_the_validator_accepts_it_with_no_scoring_at_all(bundle: Path) -> None:
    config = config_of(bundle)
    assert {"scoring", "leaderboard", "baseline", "starter_kit"}.isdisjoint(config)
    assert "combine" not in config["judging"]
    with validate_bundle(bundle) as report:
        assert [str(e) for e in report.errors] == []
        assert report.ok and report.challenge is not None
        assert report.challenge.slug == bundle.name


@pytest.mark.parametrize("bundle", PROJECTS, ids=lambda b: b.name)
def test_every_page_is_written_in_both_languages(bundle: Path) -> None:
    """Not a copy and not a stub: each pair has the same sections, in two different texts."""
    config = config_of(bundle)
    assert set(config["pages"]) == set(PAGES)
    for name in PAGES:
        texts = {language: page(bundle, name, language) for language in LANGUAGES}
        for language, text in texts.items():
            assert text.startswith("# "), f"{name}.{language} has no title"
            assert len(text.split()) >= 150, f"{name}.{language} is too short to help anyone"
        assert texts["it"] != texts["en"], name
        headings = {lang: re.findall(r"^#+ ", text, re.M) for lang, text in texts.items()}
        assert headings["it"] == headings["en"], f"{name}: the two languages have other sections"
        phases = {lang: PLACEHOLDER.findall(text) for lang, text in texts.items()}
        assert phases["it"] == phases["en"], f"{name}: the dates differ between the languages"
        names = {p["name"] for p in config["phases"]}
        assert {phase for phase, _ in phases["it"]} <= names
    for key in ("title", "summary", "source"):
        assert set(config[key]) == set(LANGUAGES) and config[key]["it"] != config[key]["en"]


@pytest.mark.parametrize("bundle", PROJECTS, ids=lambda b: b.name)
def test_the_work_may_carry_only_open_licences_and_the_rules_name_them(bundle: Path) -> None:
    project = config_of(bundle)["project"]
    licences = project["licences"]
    assert licences and set(licences) <= OPEN_LICENCES, set(licences) - OPEN_LICENCES
    assert set(project["files"]["types"]) <= FILE_TYPES
    assert project["reviews_per_project"] == 3
    for language in LANGUAGES:
        rules = page(bundle, "rules", language)
        for licence in licences:
            assert licence in rules, f"rules.{language} does not name {licence}"
        assert f"{project['files']['max_mb']} MB" in rules


@pytest.mark.parametrize("bundle", PROJECTS, ids=lambda b: b.name)
def test_the_rubric_has_positive_weights_both_languages_and_the_page_states_them(
    bundle: Path,
) -> None:
    judging = config_of(bundle)["judging"]
    rubric = judging["rubric"]
    assert len(rubric) >= 3
    weights = [criterion["weight"] for criterion in rubric]
    assert all(isinstance(w, int | float) and w > 0 for w in weights)
    assert math.isclose(sum(weights), 1.0)
    scale = judging["scale"]
    for criterion in rubric:
        for field in ("label", "description"):
            text = criterion[field]
            assert set(text) == set(LANGUAGES) and all(text[lang].strip() for lang in LANGUAGES)
    for language in LANGUAGES:
        evaluation = " ".join(page(bundle, "evaluation", language).split())
        assert f"{scale['min']} a {scale['max']}" in evaluation or (
            f"{scale['min']} to {scale['max']}" in evaluation
        )
        for criterion in rubric:  # each item: its label, then its weight as a percentage
            share = round(100 * criterion["weight"] / sum(weights))
            row = f"**{criterion['label'][language]}** ({share}%)"
            assert row in evaluation, f"evaluation.{language} lacks {row!r}"


@pytest.mark.parametrize("bundle", PROJECTS, ids=lambda b: b.name)
def test_the_phases_fit_the_event_and_the_public_votes_after_the_projects_close(
    bundle: Path,
) -> None:
    config = config_of(bundle)
    dates = event()["dates"]
    phases = config["phases"]
    assert phases[0]["start"] >= dates["hacking_starts"]
    assert phases[-1]["end"] <= dates["hacking_ends"]
    choice = config["project"].get("people_choice")
    if bundle.name == "gulf-digital-twin":
        assert choice is not None, "the digital twin has a people's choice"
    if choice is not None:
        start: datetime = choice["start"]
        assert phases[-1]["end"] <= start < choice["end"] <= dates["results"]


def test_both_project_challenges_are_in_a_track_of_the_demo_event() -> None:
    tracks = {slug: t["slug"] for t in event()["tracks"] for slug in t.get("challenges", [])}
    assert set(tracks) >= EXPECTED
    assert len({tracks[slug] for slug in EXPECTED}) == 1, "one track for the projects"
