"""Every page each role can reach, at both sizes and in both languages, and the keyboard flows.

The site is set up with some activity first: an organiser publishes a judged challenge and
assigns a judge; a captain makes teams on it and on the catalog's challenge, submits to both
and chooses a final; a participant joins the captain's team. Then, for each role (public,
participant, captain, judge, organiser, admin), site_check crawls what the role reaches twice:
in English on a desktop (1280×800) and in Italian on a phone (390×844), so every page is
checked at both sizes and in both languages. On every page: no sideways scroll, no serious or
critical axe violation, no text of the other language, destructive forms confirm first, and
no request to any host but the site.

Then sign-up, team creation, a submission and a judge's review are done with the keyboard
alone (Tab, Enter, Space, and the arrows inside a radio group; a file chooser is filled with set_input_files once it has focus).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from e2e_flows import (
    BASELINE,
    FIXTURE_BUNDLE,
    JUDGING_TIMEOUT_MS,
    SIZES,
    SLUG,
    SUBMISSION_URL,
    create_staff,
    create_team,
    fixture_bundle,
    log_in,
    new_context,
    new_participant,
    open_final_phase,
    press_confirmed,
    sign_up,
    submit_file,
    upload_bundle,
    zip_bundle,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from site_check import crawl_site

ROLES = ("public", "participant", "captain", "judge", "organiser", "admin")
RUNS = {"en-desktop": ("en-GB", "desktop"), "it-phone": ("it-IT", "phone")}
FIXTURE_BASELINE = FIXTURE_BUNDLE / "baseline" / "predictions.csv"
RATINGS = {"Innovation": "3", "Impact": "5"}  # the fixture's rubric, scale 1 to 5


@dataclass
class Site:
    contexts: dict[str, BrowserContext]  # role -> its signed-in English context
    starts: dict[str, tuple[str, ...]]
    judged: str
    finalist_team: str


@pytest.fixture(scope="module")
def site(
    browser: Browser, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    base = stack.base_url
    made: dict[str, BrowserContext] = {}

    def context(role: str) -> Page:
        made[role] = new_context(browser, bypass_csp=True)
        return made[role].new_page()

    context("public").close()

    organiser = create_staff(stack.data_dir, "organiser", "Crawlorganiser")
    judge = create_staff(stack.data_dir, "judge", "Crawljudge")
    admin = create_staff(stack.data_dir, "admin", "Crawladmin")
    org = context("organiser")
    log_in(org, base, organiser.email, organiser.password, organiser.name)
    tag = uuid.uuid4().hex[:8]
    judged = f"crawl-judged-{tag}"
    tmp = tmp_path_factory.mktemp("crawl")
    folder = fixture_bundle(tmp, judged, f"Crawl judged {tag}", open_final_phase(datetime.now(UTC)))
    upload_bundle(org, base, zip_bundle(folder, tmp / f"{judged}.zip"))
    expect(org).to_have_url(re.compile(rf"/organise/{judged}$"))
    press_confirmed(org, "Publish")
    expect(org.locator("section.status strong")).to_have_text("Published")
    org.goto(f"{base}/organise/{judged}/judges")
    org.get_by_label("Email of a user with the judge role").fill(judge.email)
    org.get_by_role("button", name="Add judge").click()
    expect(org.locator("table.judges")).to_contain_text(judge.email)
    org.close()

    for role, who in (("judge", judge), ("admin", admin)):
        page = context(role)
        log_in(page, base, who.email, who.password, who.name)
        page.close()

    captain = new_participant("Captain")
    page = context("captain")
    sign_up(page, base, captain)
    create_team(page, base, captain)
    submit_file(page, base, BASELINE)
    create_team(page, base, captain, slug=judged)
    submit_file(page, base, FIXTURE_BASELINE, slug=judged)
    choose = page.get_by_role("button", name="Choose as final")
    expect(choose).to_be_visible(timeout=JUDGING_TIMEOUT_MS)
    choose.click()
    expect(page.locator("main")).to_contain_text("Chosen as final.")
    page.goto(f"{base}/challenges/{SLUG}/team")
    code = page.locator("#invite-code").inner_text().strip()
    page.close()

    member = new_participant("Member")
    page = context("participant")
    sign_up(page, base, member)
    page.goto(f"{base}/challenges/{SLUG}/team")
    page.get_by_label("Invitation code").fill(code)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("main")).to_contain_text(captain.team)
    page.close()

    starts = {
        "public": ("/", "/login", "/signup", "/api/docs"),
        "participant": ("/", "/account", f"/challenges/{SLUG}/team"),
        "captain": ("/", "/account", f"/challenges/{SLUG}/team", f"/challenges/{judged}/team"),
        "judge": ("/judge", "/"),
        "organiser": ("/organise", "/organise/dashboard", f"/organise/{judged}", "/"),
        "admin": ("/admin/users", "/organise", "/"),
    }
    yield Site(made, starts, judged, captain.team)
    for each in made.values():
        each.close()


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_passes_the_site_checks(
    site: Site, browser: Browser, stack: Stack, axe_source: str, role: str, run: str
) -> None:
    locale, size = RUNS[run]
    # The role's session in a context of the run's language (the same cookies, another locale).
    state = site.contexts[role].storage_state()
    context = browser.new_context(locale=locale, bypass_csp=True, storage_state=state)
    context.set_default_timeout(15_000)
    try:
        crawl = crawl_site(
            context,
            stack.base_url,
            site.starts[role],
            size=size,
            viewport=SIZES[size],
            axe_source=axe_source,
        )
    finally:
        context.close()
    pages = sum(len(urls) for urls in crawl.visited.values())
    assert pages >= len(site.starts[role]), f"the crawl saw only {pages} pages: {crawl.visited}"
    assert not crawl.findings, f"{role}, {run}, {pages} pages:\n{crawl.report()}"


# --- the keyboard alone ---------------------------------------------------------------------

TAB_LIMIT = 80


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    element = target.element_handle()
    assert element is not None, f"{target} is not on {page.url}"
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if element.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reachable with Tab on {page.url}")


def test_keyboard_alone_signs_up_makes_a_team_and_submits(browser: Browser, stack: Stack) -> None:
    who = new_participant("Keyboard")
    context = new_context(browser)  # the site's CSP on: nothing injected
    page = context.new_page()
    page.set_viewport_size(SIZES["desktop"])
    try:
        page.goto(f"{stack.base_url}/signup")
        form = page.locator("form.account-form")
        for label, text in (("Display name", who.name), ("Email", who.email)):
            tab_to(page, form.get_by_label(label))
            page.keyboard.type(text)
        tab_to(page, form.get_by_label("Password"))
        page.keyboard.type(who.password)
        page.keyboard.press("Enter")
        expect(page.get_by_role("navigation", name="Main")).to_contain_text(who.name)

        page.goto(f"{stack.base_url}/challenges/{SLUG}")
        tab_to(page, page.locator(f"main a[href$='/challenges/{SLUG}/team']").first)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/challenges/{SLUG}/team$"))
        tab_to(page, page.get_by_label("Team name"))
        page.keyboard.type(who.team)
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text(who.team)

        tab_to(page, page.get_by_role("link", name="Submit a solution"))
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/challenges/{SLUG}/submit$"))
        chooser = page.locator("input[type='file']")
        tab_to(page, chooser)
        chooser.set_input_files(str(BASELINE))
        form = page.locator("form").filter(has=chooser)
        tab_to(page, form.get_by_role("button", name="Submit", exact=True))
        page.keyboard.press("Space")
        page.wait_for_url(SUBMISSION_URL)
        expect(page.locator("main")).to_contain_text(re.compile("queued|running|scored"))
    finally:
        context.close()


def test_keyboard_alone_saves_a_judges_review(site: Site, stack: Stack) -> None:
    page = site.contexts["judge"].new_page()
    page.set_viewport_size(SIZES["desktop"])
    try:
        page.goto(f"{stack.base_url}/judge")
        tab_to(page, page.locator(f"main a[href$='/judge/{site.judged}']"))
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/judge/{site.judged}$"))
        tab_to(page, page.get_by_role("link", name=site.finalist_team))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(site.finalist_team)
        for label, value in RATINGS.items():  # a radio group: Space picks, arrows move
            group = page.get_by_role("group", name=re.compile(rf"^{label} \(weight"))
            tab_to(page, group.get_by_role("radio").first)
            page.keyboard.press("Space")
            for _ in range(int(value) - 1):
                page.keyboard.press("ArrowRight")
        tab_to(page, page.get_by_label("Comment"))
        page.keyboard.type("Typed without a mouse.")
        tab_to(page, page.get_by_role("button", name="Save review"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("Your review is saved.")
        for label, value in RATINGS.items():
            group = page.get_by_role("group", name=re.compile(rf"^{label} \(weight"))
            expect(group.get_by_role("radio", name=re.compile(rf"^{value} · "))).to_be_checked()
    finally:
        page.close()
