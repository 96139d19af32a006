"""What a participant does in the browser, step by step, shared by the browser tests.

The selectors are the ones a person (or a screen reader) would use: labelled
fields, buttons, the form's purpose. That keeps the tests honest about the
pages' accessibility and lets the markup change without breaking them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
SLUG = "sea-surface-temperature"
BASELINE = ROOT / "challenges" / SLUG / "baseline" / "predictions.csv"
JUDGING_TIMEOUT_MS = 180_000
PAGE_TIMEOUT_MS = 15_000
SUBMISSION_URL = re.compile(r"/submissions/(\d+)(?:[/?#].*)?$")


@dataclass(frozen=True)
class Participant:
    name: str
    email: str
    password: str
    team: str


def new_participant(label: str) -> Participant:
    """A person nobody else in the session uses, so tests never see each other's teams."""
    tag = uuid.uuid4().hex[:8]
    return Participant(
        name=f"{label} {tag}",
        email=f"{label.lower()}-{tag}@example.org",
        password=f"correct horse {tag} battery",
        team=f"Team {label} {tag}",
    )


def new_context(browser: Browser, *, bypass_csp: bool = False) -> BrowserContext:
    """An English-speaking visitor; the site's Italian default is tested elsewhere."""
    context = browser.new_context(locale="en-GB", bypass_csp=bypass_csp)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context


def sign_up(page: Page, base_url: str, who: Participant) -> None:
    page.goto(f"{base_url}/signup")
    form = page.locator("form.account-form")
    form.get_by_label("Display name").fill(who.name)
    form.get_by_label("Email").fill(who.email)
    form.get_by_label("Password").fill(who.password)
    form.get_by_role("button", name=re.compile("sign up", re.I)).click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/signup"))
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(who.name)


def create_team(page: Page, base_url: str, who: Participant, slug: str = SLUG) -> None:
    """From the challenge page, follow its link to the team page and create a team there."""
    page.goto(f"{base_url}/challenges/{slug}")
    page.locator(f"main a[href$='/challenges/{slug}/team']").first.click()
    expect(page).to_have_url(re.compile(rf"/challenges/{slug}/team$"))
    page.get_by_label("Team name").fill(who.team)
    form = page.locator("form").filter(has=page.get_by_label("Team name"))
    form.locator("button[type='submit'], button:not([type]), input[type='submit']").first.click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(who.team)


def submit_file(page: Page, base_url: str, path: Path, slug: str = SLUG) -> int:
    """Upload through the submit page's file input; returns the new submission's id."""
    page.goto(f"{base_url}/challenges/{slug}/submit")
    file_input = page.locator("input[type='file']")
    file_input.set_input_files(str(path))
    form = page.locator("form").filter(has=file_input)
    form.locator("button[type='submit'], button:not([type]), input[type='submit']").first.click()
    try:
        page.wait_for_url(SUBMISSION_URL)
    except PlaywrightError as exc:
        shown = page.locator("main").inner_text()
        raise AssertionError(f"no submission page after the upload ({page.url}):\n{shown}") from exc
    found = SUBMISSION_URL.search(page.url)
    assert found is not None, page.url
    return int(found.group(1))


def mark_page(page: Page) -> None:
    """Leave a marker in the page's JS world: a reload or navigation would erase it."""
    page.evaluate("() => { window.__marker = 1; }")


def still_marked(page: Page) -> bool:
    return bool(page.evaluate("() => window.__marker === 1"))
