"""What participants, organisers and judges do in the browser, shared by the browser tests.

The selectors are the ones a person (or a screen reader) would use: labelled
fields, buttons, the form's purpose. That keeps the tests honest about the
pages' accessibility and lets the markup change without breaking them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.redis_urls import redis_url

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


def open_menu(page: Page) -> None:
    """On a phone the header's links sit behind its "Menu" (a <details>); open it if shut."""
    menu = page.get_by_role("navigation", name="Main").locator("details.site-menu")
    if menu.locator("summary").is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()


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


# --- organisers and judges ------------------------------------------------------------------

FIXTURE_BUNDLE = ROOT / "tests" / "bundles" / "fixtures" / "valid"
FIXTURE_SLUG = "harbour-wave-height"
FIXTURE_TITLE = "Harbour wave height"
MAREA = Path(sys.executable).parent / "marea"
E2E_REDIS_DB = 14  # the db conftest's stack uses; never another one


@dataclass(frozen=True)
class StaffMember:
    """An organiser or a judge: accounts only an operator can make, so made with the CLI."""

    name: str
    email: str
    password: str


def create_staff(data_dir: Path, role: str, label: str, email: str | None = None) -> StaffMember:
    """`marea user create --role ROLE` against the running site's data directory; `email`
    names an address an event.yaml lists (the account is verified, so the event's roles apply)."""
    tag = uuid.uuid4().hex[:8]
    who = StaffMember(
        name=f"{label} {tag}",
        email=email or f"{label.lower()}-{tag}@example.org",
        password=f"staff {tag} password",
    )
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data_dir),
        "MAREA_REDIS_URL": redis_url(E2E_REDIS_DB),
    }
    env.pop("MAREA_DATABASE_URL", None)
    argv = [str(MAREA), "user", "create", who.email, "--name", who.name, "--role", role]
    done = subprocess.run(
        [*argv, "--password", who.password],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"`marea user create` failed:\n{done.stdout}{done.stderr}"
    return who


def log_in(page: Page, base_url: str, email: str, password: str, name: str) -> None:
    page.goto(f"{base_url}/login")
    form = page.locator("form.account-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(name)


def fixture_bundle(dest: Path, slug: str, title: str, edits: dict[str, str] | None = None) -> Path:
    """The bundle tests' valid fixture under a new slug and title, with text edits to its yaml.

    Each edit replaces a string that must occur in challenge.yaml, so a fixture change that
    makes an edit a no-op fails here instead of silently testing the wrong bundle.
    """
    folder = dest / slug
    shutil.copytree(FIXTURE_BUNDLE, folder)
    config = folder / "challenge.yaml"
    text = config.read_text(encoding="utf-8")
    replacements = {
        f"slug: {FIXTURE_SLUG}": f"slug: {slug}",
        f'en: "{FIXTURE_TITLE}"': f'en: "{title}"',
        **(edits or {}),
    }
    for old, new in replacements.items():
        assert old in text, f"{old!r} is not in {config}: the fixture changed"
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    return folder


def open_final_phase(now: datetime) -> dict[str, str]:
    """Edits moving the fixture's phases so that its last phase (the judged one) is open now."""

    def stamp(days: int) -> str:
        return (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "start: 2026-01-01T00:00:00Z": f"start: {stamp(-60)}",
        "end: 2026-03-01T00:00:00+01:00": f"end: {stamp(-1)}",
        "start: 2026-03-01T00:00:00+01:00": f"start: {stamp(-1)}",
        "end: 2026-03-15T18:00:00+01:00": f"end: {stamp(60)}",
    }


def zip_bundle(folder: Path, archive: Path) -> Path:
    """The folder zipped with itself as the top folder, as an organiser's zip tool does it."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return archive


def upload_bundle(page: Page, base_url: str, archive: Path) -> None:
    """Through /organise's labelled file input, as an organiser does it."""
    page.goto(f"{base_url}/organise")
    page.get_by_label(re.compile(r"^Bundle")).set_input_files(str(archive))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()


def submit_with_write_up(
    page: Page, base_url: str, path: Path, slug: str, description: str, link: str
) -> int:
    """Upload with the description and link judges read; returns the new submission's id."""
    page.goto(f"{base_url}/challenges/{slug}/submit")
    page.get_by_label("Description (judges read it)").fill(description)
    page.get_by_label("Link (repository, write-up)").fill(link)
    page.get_by_label("File to submit").set_input_files(str(path))
    page.locator("form#submit-form").get_by_role("button", name="Submit", exact=True).click()
    try:
        page.wait_for_url(SUBMISSION_URL)
    except PlaywrightError as exc:
        shown = page.locator("main").inner_text()
        raise AssertionError(f"no submission page after the upload ({page.url}):\n{shown}") from exc
    found = SUBMISSION_URL.search(page.url)
    assert found is not None, page.url
    return int(found.group(1))


AXE_BLOCKING = frozenset({"serious", "critical"})
AXE_RUN = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")).slice(0, 10),
  }));
}"""


def assert_page_accessible(page: Page, axe_source: str) -> None:
    """axe-core on the page as it is now (a form's answer included, which a fresh load loses).

    The page's context must bypass the CSP, as in test_accessibility.py: axe is injected.
    """
    page.wait_for_load_state("load")
    page.evaluate(axe_source)
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    blocking = [v for v in violations if v["impact"] in AXE_BLOCKING]
    described = "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n    at " + "\n    at ".join(v["targets"])
        for v in blocking
    )
    assert not blocking, f"axe found serious/critical violations on {page.url}:\n{described}"


SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter(e => !e.closest(".table-scroll, pre, .visually-hidden, .skip"))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}: `
            + `${Math.round(e.getBoundingClientRect().right)} px`)
  .slice(0, 8)"""


def assert_fits(page: Page, size: str) -> None:
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    wide: list[str] = page.evaluate(WIDER_THAN_SCREEN)
    assert scroll <= width, f"{page.url} scrolls sideways on a {size}: {scroll} > {width}: {wide}"
    assert not wide, f"{page.url} on a {size}: wider than the screen: {wide}"


def press_confirmed(scope: Page | Locator, name: str) -> None:
    """Press a destructive button: open its `<details class="confirm">` first, then press it.

    The site's convention for an action that cannot simply be taken back: the button sits in
    a closed disclosure whose summary ("Unpublish…") opens a sentence saying what will happen.
    """
    summary = scope.locator("details.confirm > summary").filter(
        has_text=re.compile(rf"^\s*{re.escape(name)}…\s*$")
    )
    if summary.count():
        summary.first.click()
        details = summary.first.locator("xpath=..")
        details.get_by_role("button", name=name, exact=True).click()
    else:
        scope.get_by_role("button", name=name, exact=True).click()
