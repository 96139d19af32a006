"""validate_bundle on the valid fixture and on one broken bundle per rule.

Every broken case must produce exactly one error, naming the right file, line and
column, so a stray second error (noise an organiser would have to wade through)
fails the test as surely as a missing one.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from bundle_helpers import BROKEN, MARKER, copy_valid, line_of, overlay, zip_folder

from app.bundles import ErrorCategory, ValidationReport, validate_bundle

pytestmark = pytest.mark.unit  # needs no service: `make unit`

CONFIG = "challenge.yaml"


def _symlink_out(tmp: Path) -> Path:
    bundle = copy_valid(tmp / "bundle")
    outside = tmp / "secret.csv"
    outside.write_text("id,wave_height\n1,0.5\n")
    (bundle / "data" / "train.csv").unlink()
    os.symlink(outside, bundle / "data" / "train.csv")
    return bundle


def _symlink_in_starter(tmp: Path) -> Path:
    bundle = copy_valid(tmp / "bundle")
    os.symlink("/etc/passwd", bundle / "starter" / "passwd")
    return bundle


def _zip_with(member: str, *, symlink: bool = False) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        archive = zip_folder(copy_valid(tmp / "bundle"), tmp / "bundle.zip")
        with zipfile.ZipFile(archive, "a") as zf:
            info = zipfile.ZipInfo(member)
            if symlink:
                info.external_attr = (0o120777 << 16) | 0
                zf.writestr(info, "/etc/passwd")
            else:
                zf.writestr(info, "gotcha\n")
        return archive

    return build


def _starter_link_to_answers(tmp: Path) -> Path:
    """Built here: a link stored in the repository would dangle outside the overlaid copy."""
    bundle = overlay("starter_symlink_to_reference", tmp / "bundle")
    os.symlink("../reference/answers.csv", bundle / "starter" / "example_solution.csv")
    return bundle


def _page_link_to_answers(tmp: Path) -> Path:
    bundle = copy_valid(tmp / "bundle")
    (bundle / "pages" / "overview.en.md").unlink()
    os.symlink("../reference/answers.csv", bundle / "pages" / "overview.en.md")
    return bundle


def _latin1_page(tmp: Path) -> Path:
    """Built here, not stored: a non-UTF-8 file in the tree would trip every text tool."""
    bundle = copy_valid(tmp / "bundle")
    page = "# overview\n\nPagina di prova. Più dettagli.\n"
    (bundle / "pages" / "overview.it.md").write_bytes(page.encode("latin-1"))
    return bundle


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    line: int | str | None  # a number, or text found on the expected line of `file`
    column: int | str | None  # a number, or text that starts at the expected column
    fragment: str
    category: ErrorCategory
    build: Callable[[Path], Path] | None = None


S, R, Y, F, A = (
    ErrorCategory.SCHEMA,
    ErrorCategory.RULE,
    ErrorCategory.SYNTAX,
    ErrorCategory.FILE,
    ErrorCategory.ARCHIVE,
)
M = MARKER

CASES = [
    Case("yaml_syntax", CONFIG, M, "en:", "YAML syntax error", Y),
    Case("duplicate_key", CONFIG, M, 1, "duplicate key 'slug' (first written on line 3)", Y),
    Case("unknown_key_top", CONFIG, M, 1, "unknown key `license`", S),
    Case("unknown_key_nested", CONFIG, M, "concurent", "phases[1].limits: unknown key", S),
    Case("wrong_type", CONFIG, M, "three", "leaderboard.columns[1].precision", S),
    Case("missing_required_top", CONFIG, M, 1, "required key `licence` is missing", S),
    Case("missing_required_nested", CONFIG, M, "name", "phases[1]: required key `kind`", S),
    Case("missing_file", CONFIG, M, "pages/rules.english.md", "does not exist", F),
    Case("path_dotdot", CONFIG, M, "../", "uses '..'", S),
    Case("absolute_path", CONFIG, M, "/etc/passwd", "absolute path", S),
    Case(
        "symlink_out",
        CONFIG,
        "path: data/train.csv",
        "data/train.csv",
        "points outside the bundle",
        F,
        _symlink_out,
    ),
    Case(
        "symlink_in_folder",
        "starter/passwd",
        None,
        None,
        "symbolic link pointing outside the bundle",
        F,
        _symlink_in_starter,
    ),
    Case("starter_kit_is_root", CONFIG, M, "./", "contains the reference file", R),
    Case("overlapping_phases", CONFIG, M, "2026-02-15", "before phases[0] (development) ends", R),
    Case("end_before_start", CONFIG, M, "2025-12-01", "is not after its start", R),
    Case("naive_datetime", CONFIG, M, "2026-01-01", "timezone", S),
    Case("unknown_metric", CONFIG, M, "rmsle", "unknown metric 'rmsle'", R),
    Case("duplicate_column_keys", CONFIG, M, "rmse", "column key 'rmse' is used twice", R),
    Case("rank_by_missing", CONFIG, M, "score", "rank_by 'score' is not a leaderboard column", R),
    Case("tie_breaker_unknown", CONFIG, M, "mse]", "tie-breaker 'mse' is not", R),
    Case("tie_breaker_is_rank_by", CONFIG, M, "rmse", "is also rank_by", R),
    Case("metric_with_program", CONFIG, M, "metric", "but scoring uses a program", R),
    Case("both_scoring_modes", CONFIG, M, 1, "both `builtin` and `program`", R),
    Case("code_on_predictions", CONFIG, M, "code", "`code` block would never run", R),
    Case("code_phase_without_code", CONFIG, M, "name", "code phase but has no `code` block", R),
    # Only a challenge whose every phase is a project may leave the metric sections out.
    Case(
        "code_phase_without_scoring",
        CONFIG,
        M,
        "code",
        "a code phase but the bundle has no `scoring`",
        R,
    ),
    Case(
        "metric_phase_without_leaderboard",
        CONFIG,
        M,
        "predictions",
        "a predictions phase but the bundle has no `leaderboard`",
        R,
    ),
    Case("metric_phase_without_combine", CONFIG, M, 1, "judging has no `combine`", R),
    Case("reference_no_split", "reference/answers.csv", 1, None, "no column 'split'", F),
    Case("reference_bad_split", "reference/answers.csv", ",test", None, "split is 'test'", F),
    Case("reference_duplicate_id", "reference/answers.csv", 7, None, "appears twice", F),
    Case("reference_made_public", CONFIG, M, "reference/", "hidden answers", R),
    Case("baseline_missing_column", "baseline/predictions.csv", 1, None, "'wave_height'", F),
    Case("weights_not_one", CONFIG, M, "combine", "weights sum to 1.1", R),
    Case("negative_rubric_weight", CONFIG, M, "-0.6", "greater than 0", S),
    Case("team_min_above_max", CONFIG, M, "5", "min_size (5) is larger than max_size (4)", R),
    Case("scale_labels_wrong_count", CONFIG, M, "labels", "has 3 labels but the scale", R),
    Case("bad_slug", CONFIG, M, "Harbour_Wave", "slug: 'Harbour_Wave'", S),
    Case("bad_theme", CONFIG, M, "ocean", "'ocean' is not allowed", S),
    Case("blank_translation", CONFIG, M, '""', "summary.en: must not be blank", S),
    Case("unknown_metric_param", CONFIG, M, "beta", "has no parameter 'beta'", R),
    # The answers stay hidden, whatever path, link or copy would give them away.
    Case("page_is_reference", CONFIG, M, "reference/", "would be shown to everyone", R),
    Case("public_path_normalised_to_reference", CONFIG, M, "./", "hidden answers", R),
    Case("public_copy_of_reference", CONFIG, M, "data/", "same content as the reference", F),
    Case("input_copy_of_reference", CONFIG, M, "inputs/", "same content as the reference", F),
    Case("starter_copy_of_reference", CONFIG, M, "starter/", "same content as the reference", F),
    Case(
        "starter_symlink_to_reference",
        CONFIG,
        M,
        "starter/",
        "starter kit file 'starter/example_solution.csv' resolves to the reference",
        F,
        _starter_link_to_answers,
    ),
    Case("baseline_copy_of_reference", CONFIG, M, "baseline/", "same content as the reference", F),
    Case(
        "page_symlink_to_reference",
        CONFIG,
        "overview: {",
        "pages/overview.en.md",
        "page 'pages/overview.en.md' resolves to the reference",
        F,
        _page_link_to_answers,
    ),
    Case(
        "page_links_reference", "pages/data.en.md", "[answers]", "../", "links to '../reference", F
    ),
    Case(
        "page_image_of_reference", "pages/evaluation.it.md", "![", "./../", "reference/answers", F
    ),
    Case(
        "page_links_reference_folder", "pages/rules.en.md", "[truth]:", "/ref", "holds the ref", F
    ),
    Case(
        "page_links_copy_of_reference",
        "pages/overview.en.md",
        "(extra",
        "extra/",
        "same content",
        F,
    ),
    # Runner images come only from the site's allow-list.
    Case("runner_image_not_allowed", CONFIG, M, '"127.0.0.1', "is not an image this site", R),
    Case("phase_runner_image_not_allowed", CONFIG, M, "docker.io", "is not an image this site", R),
    Case("non_utf8_page", "pages/overview.it.md", 3, 20, "not valid UTF-8", F, _latin1_page),
    Case("zip_dotdot", "bundle.zip", None, None, "uses '..'", A, _zip_with("../evil.txt")),
    Case("zip_absolute", "bundle.zip", None, None, "absolute path", A, _zip_with("/tmp/evil")),
    Case("zip_symlink", "bundle.zip", None, None, "symbolic link", A, _zip_with("x", symlink=True)),
]


def _expected_line(case: Case, root: Path) -> int | None:
    if isinstance(case.line, str):
        return line_of(root / case.file, case.line)
    return case.line


def _expected_column(case: Case, root: Path, line: int | None) -> int | None:
    if isinstance(case.column, str):
        assert line is not None
        text = (root / case.file).read_text(encoding="utf-8").splitlines()[line - 1]
        return text.index(case.column) + 1
    return case.column


def test_every_broken_folder_is_in_the_table() -> None:
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert folders <= {case.name for case in CASES}
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_broken_bundle_reports_one_located_error(case: Case, tmp_path: Path) -> None:
    if case.build is not None:
        target = case.build(tmp_path)
    else:
        assert (BROKEN / case.name).is_dir(), f"no folder for {case.name}"
        target = overlay(case.name, tmp_path / "bundle")
    root = target if target.is_dir() else target.parent
    with validate_bundle(target) as report:
        assert not report.ok
        assert report.challenge is None
        assert len(report.errors) == 1, "\n".join(str(e) for e in report.errors)
        error = report.errors[0]
    line = _expected_line(case, root)
    assert (error.file, error.line, error.column) == (
        case.file,
        line,
        _expected_column(case, root, line),
    ), str(error)
    assert case.fragment in error.message
    assert error.category is case.category
    assert error.hint.strip(), "every error says how to fix it"


def test_valid_folder_passes(valid_bundle: Path) -> None:
    with validate_bundle(valid_bundle) as report:
        assert [str(e) for e in report.errors] == []
        assert report.ok
        assert report.root == valid_bundle.resolve()
        assert report.challenge is not None
        assert report.challenge.slug == "harbour-wave-height"
        assert [p.name for p in report.challenge.phases] == ["development", "final"]
        assert report.challenge.leaderboard is not None
        assert report.challenge.leaderboard.columns[2].params == {"alpha": 0.9}
    assert valid_bundle.is_dir(), "closing a folder report must not delete the folder"


@pytest.mark.parametrize("prefix", ["", "harbour-wave-height/"], ids=["flat", "one-folder"])
def test_valid_zip_passes_and_is_cleaned_up(
    valid_bundle: Path, tmp_path: Path, prefix: str
) -> None:
    archive = zip_folder(valid_bundle, tmp_path / "bundle.zip", prefix)
    with validate_bundle(archive) as report:
        assert [str(e) for e in report.errors] == []
        assert report.root is not None
        unpacked = report.root
        assert (unpacked / "challenge.yaml").read_bytes() == (
            valid_bundle / "challenge.yaml"
        ).read_bytes()
    assert not unpacked.exists(), "the unpacked copy goes away with the report"


def test_invalid_zip_leaves_nothing_behind(tmp_path: Path) -> None:
    archive = _zip_with("../evil.txt")(tmp_path)
    report: ValidationReport = validate_bundle(archive)
    assert not report.ok
    assert report.root is None
    assert not (tmp_path / "evil.txt").exists()


def test_broken_zip_of_a_broken_folder_reports_in_the_unpacked_files(tmp_path: Path) -> None:
    bundle = overlay("end_before_start", tmp_path / "bundle")
    archive = zip_folder(bundle, tmp_path / "b.zip")
    with validate_bundle(archive) as report:
        assert [(e.file, e.line) for e in report.errors] == [
            ("challenge.yaml", line_of(bundle / "challenge.yaml", MARKER))
        ]


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    bundle = copy_valid(tmp_path / "bundle")
    text = (bundle / "challenge.yaml").read_text()
    text = text.replace("rank_by: rmse", "rank_by: nope").replace("min_size: 1", "min_size: 9")
    (bundle / "challenge.yaml").write_text(text)
    (bundle / "pages" / "data.en.md").unlink()
    with validate_bundle(bundle) as report:
        messages = " | ".join(e.message for e in report.errors)
    assert len(report.errors) == 3, messages
    assert "rank_by 'nope'" in messages
    assert "min_size (9)" in messages
    assert "pages/data.en.md" in messages


@pytest.mark.parametrize(
    "text",
    ["", "- just\n- a list\n", "format: 1\nslug: x\n\tbad: tab\n"],
    ids=["empty", "not-a-mapping", "tab"],
)
def test_unusable_challenge_yaml_is_an_error_not_a_crash(valid_bundle: Path, text: str) -> None:
    (valid_bundle / "challenge.yaml").write_text(text)
    with validate_bundle(valid_bundle) as report:
        assert len(report.errors) == 1
        assert report.errors[0].file == "challenge.yaml"
        assert report.errors[0].line is not None


def test_missing_path_and_missing_challenge_yaml(tmp_path: Path) -> None:
    with validate_bundle(tmp_path / "nowhere") as report:
        assert [e.message for e in report.errors] == ["no such file or folder"]
    (tmp_path / "empty").mkdir()
    with validate_bundle(tmp_path / "empty") as report:
        assert "no challenge.yaml" in report.errors[0].message


def test_anchors_are_allowed_but_alias_bombs_are_not(valid_bundle: Path) -> None:
    config = valid_bundle / "challenge.yaml"
    text = config.read_text()
    anchored = text.replace(
        'title: {it: "Sviluppo", en: "Development"}',
        'title: &dev {it: "Sviluppo", en: "Development"}',
    ).replace('title: {it: "Finale", en: "Final"}', "title: *dev")
    config.write_text(anchored)
    with validate_bundle(valid_bundle) as report:
        assert report.challenge is not None, [str(e) for e in report.errors]
        assert report.challenge.phases[1].title.en == "Development"
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    config.write_text(text + "\n".join(bomb) + "\n")
    with validate_bundle(valid_bundle) as report:
        assert len(report.errors) == 1
        assert "expands to more than" in report.errors[0].message
        assert report.errors[0].line is not None
