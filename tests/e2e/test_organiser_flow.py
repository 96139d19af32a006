"""An organiser brings a challenge online from the browser, and takes it off again.

Upload a broken bundle and read what to fix (file, line, hint) on the page;
upload the fixed one, preview the draft, publish it and see it on the public
home page as an anonymous visitor; unpublish it and see it gone. axe checks
each organiser page as the organiser sees it.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_flows import (
    FIXTURE_BUNDLE,
    MAREA,
    StaffMember,
    assert_page_accessible,
    create_staff,
    fixture_bundle,
    log_in,
    new_context,
    open_final_phase,
    press_confirmed,
    upload_bundle,
    zip_bundle,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext, Page, expect

# Two mistakes of different kinds: a rule across keys and a file that is not there.
BROKEN_EDITS = {
    "rank_by: rmse": "rank_by: rmsee",
    "baseline: baseline/predictions.csv": "baseline: baseline/prediction.csv",
}
OVERVIEW_TEXT = "Test page for the wave height challenge"
# Elements of the page's main part that reach past the viewport (the header is not checked here).
MAIN_OVERFLOW = """() => [...document.querySelectorAll("main, main *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => e.tagName + " " + (e.textContent || "").trim().slice(0, 40))"""


@pytest.fixture
def organiser(browser: Browser, stack: Stack) -> Iterator[tuple[StaffMember, BrowserContext]]:
    who = create_staff(stack.data_dir, "organiser", "Organiser")
    context = new_context(browser, bypass_csp=True)  # axe is injected into these pages
    yield who, context
    context.close()


@pytest.fixture
def anonymous(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def public_home_lists(anonymous: BrowserContext, stack: Stack, slug: str) -> bool:
    page = anonymous.new_page()
    try:
        page.goto(f"{stack.base_url}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        return page.locator(f"main a[href$='/challenges/{slug}']").count() > 0
    finally:
        page.close()


def public_page_status(anonymous: BrowserContext, stack: Stack, slug: str) -> int:
    page = anonymous.new_page()
    try:
        answer = page.goto(f"{stack.base_url}/challenges/{slug}")
        assert answer is not None
        return answer.status
    finally:
        page.close()


def assert_commands_exist(text: str) -> None:
    """Every `marea GROUP COMMAND` a page tells the organiser to run must exist."""
    commands = set(re.findall(r"`marea ([a-z]+) ([a-z]+)", text))
    assert commands, f"no marea command named in:\n{text}"
    for group, name in commands:
        done = subprocess.run(
            [str(MAREA), group, name, "--help"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"the page names `marea {group} {name}`, which does not exist"


def status_line(page: Page) -> str:
    return page.locator("section.status").inner_text()


def test_organiser_uploads_previews_publishes_and_unpublishes(
    organiser: tuple[StaffMember, BrowserContext],
    anonymous: BrowserContext,
    stack: Stack,
    tmp_path: Path,
    axe_source: str,
) -> None:
    who, context = organiser
    tag = uuid.uuid4().hex[:8]
    slug, title = f"harbour-e2e-{tag}", f"Harbour waves {tag}"
    page = context.new_page()
    log_in(page, stack.base_url, who.email, who.password, who.name)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Organise", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/organise$"))
    assert_page_accessible(page, axe_source)
    assert_commands_exist(page.locator("main").inner_text())

    # Not a zip: refused, with a command that exists for loading the folder instead.
    upload_bundle(page, stack.base_url, FIXTURE_BUNDLE / "challenge.yaml")
    problem = page.get_by_role("alert").first
    expect(problem).to_contain_text("is not a .zip")
    assert_commands_exist(problem.inner_text())

    # A broken bundle: every error is on the page with its file, line and fix.
    broken = fixture_bundle(tmp_path / "broken", slug, title, BROKEN_EDITS)
    upload_bundle(page, stack.base_url, zip_bundle(broken, tmp_path / "broken.zip"))
    errors = page.get_by_role("alert").filter(has_text="The bundle is not valid")
    expect(errors).to_be_visible()
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(2)
    rank_line = line_of(broken / "challenge.yaml", "rank_by: rmsee")
    rank_row = rows.filter(has_text="rmsee")
    expect(rank_row.locator("td").nth(0)).to_have_text(
        re.compile(rf"(^|/)challenge\.yaml:{rank_line}(:\d+)?$")
    )
    expect(rank_row.locator("td").nth(2)).to_contain_text("rmse, mae, q90")
    baseline_line = line_of(broken / "challenge.yaml", "baseline/prediction.csv")
    baseline_row = rows.filter(has_text="baseline/prediction.csv")
    expect(baseline_row.locator("td").nth(0)).to_have_text(
        re.compile(rf"(^|/)challenge\.yaml:{baseline_line}(:\d+)?$")
    )
    expect(baseline_row.locator("td").nth(2)).to_contain_text("check the spelling")
    expect(page.locator("main")).not_to_contain_text(title)  # nothing was loaded
    assert_page_accessible(page, axe_source)

    # The fixed bundle loads as a draft, which the public cannot see. Its final phase is open.
    fixed = fixture_bundle(tmp_path / "fixed", slug, title, open_final_phase(datetime.now(UTC)))
    upload_bundle(page, stack.base_url, zip_bundle(fixed, tmp_path / "fixed.zip"))
    expect(page).to_have_url(re.compile(rf"/organise/{slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert "Draft" in status_line(page)
    assert_page_accessible(page, axe_source)
    assert not public_home_lists(anonymous, stack, slug)
    assert public_page_status(anonymous, stack, slug) == 404

    page.get_by_role("link", name="Preview", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/organise/{slug}/preview"))
    main = page.locator("main")
    expect(main).to_contain_text("Preview: this is how the challenge page will look")
    expect(main).to_contain_text("This challenge is a draft")
    expect(main).to_contain_text(title)
    expect(main).to_contain_text(OVERVIEW_TEXT)
    assert_page_accessible(page, axe_source)
    page.get_by_role("link", name="Back to the organiser page").click()

    press_confirmed(page, "Publish")
    expect(page).to_have_url(re.compile(rf"/organise/{slug}$"))
    expect(page.locator("section.status strong")).to_have_text("Published")

    visitor = anonymous.new_page()
    visitor.goto(f"{stack.base_url}/")
    visitor.get_by_role("link", name=title).click()
    expect(visitor).to_have_url(re.compile(rf"/challenges/{slug}$"))
    expect(visitor.locator("main")).to_contain_text(OVERVIEW_TEXT)
    visitor.close()

    # Revealing asks first, says what it exposes, and wants a second yes while a phase is open.
    page.get_by_role("link", name="Reveal the private board…").click()
    expect(page).to_have_url(re.compile(rf"/organise/{slug}/reveal$"))
    main = page.locator("main")
    expect(main).to_contain_text("Not every phase is over.")
    expect(main).to_contain_text("no team can change its choice afterwards")
    assert_page_accessible(page, axe_source)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(MAIN_OVERFLOW) == [], "the confirmation does not fit 390 px"
    early = page.get_by_label("I understand that teams will see private scores before the end")
    assert page.evaluate("document.getElementById('reveal-early').validity.valueMissing")
    early.check()
    page.get_by_role("button", name="Reveal the private board now").click()
    expect(page).to_have_url(re.compile(rf"/organise/{slug}$"))
    board = page.locator("section.board")
    expect(board).to_contain_text("The private board is revealed.")
    expect(board).to_contain_text("Final choices are locked since the first reveal")
    press_confirmed(page, "Hide the private board")
    expect(board).to_contain_text("Reveal the private board…")
    expect(board).to_contain_text("Final choices are locked since the first reveal")
    page.set_viewport_size({"width": 1280, "height": 800})

    press_confirmed(page, "Unpublish")
    expect(page.locator("section.status strong")).to_contain_text("Draft")
    assert not public_home_lists(anonymous, stack, slug)
    assert public_page_status(anonymous, stack, slug) == 404
