"""The team's submissions on a phone (390×844): scores, final ticks, comparing, code-run help.

A real site and worker (tests/e2e/conftest.py): two baseline submissions are judged, the
member ticks one as final and saves (the page says "saved"), ticks both for comparing and
reads them side by side; every page fits the phone's width and passes axe. The submit page
of a code challenge from the catalog says what to upload.
"""

from __future__ import annotations

import re

from e2e_flows import (
    BASELINE,
    SLUG,
    assert_page_accessible,
    create_team,
    new_context,
    new_participant,
    sign_up,
    submit_file,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, Page, expect
from test_layout import assert_fits

PHONE = {"width": 390, "height": 844}
CODE_SLUG = "port-berth-scheduling"


def _scored(page: Page, base_url: str, submission: int) -> None:
    page.goto(f"{base_url}/submissions/{submission}?lang=en")
    expect(page.locator("#submission-status")).to_have_attribute(
        "data-status", "scored", timeout=90_000
    )


def test_a_member_ticks_a_final_and_compares_two_on_a_phone(
    browser: Browser, stack: Stack, axe_source: str
) -> None:
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    try:
        who = new_participant("Lists")
        sign_up(page, stack.base_url, who)
        create_team(page, stack.base_url, who)
        first = submit_file(page, stack.base_url, BASELINE)
        _scored(page, stack.base_url, first)
        second = submit_file(page, stack.base_url, BASELINE)
        _scored(page, stack.base_url, second)

        page.goto(f"{stack.base_url}/challenges/{SLUG}/submissions?lang=en")
        assert_fits(page, "phone")
        assert_page_accessible(page, axe_source)
        page.get_by_label(f"Final: submission {first}").check()
        page.get_by_role("button", name="Save final choices").click()
        expect(page.locator("#finals-saved")).to_contain_text("Saved")
        expect(page.get_by_label(f"Final: submission {first}")).to_be_checked()
        expect(page.get_by_label(f"Final: submission {second}")).not_to_be_checked()

        page.get_by_label(f"Compare submission {first}").check()
        page.get_by_label(f"Compare submission {second}").check()
        page.get_by_role("button", name="Compare the two ticked").click()
        page.wait_for_url(re.compile(r"/submissions/compare\?"))
        expect(page.get_by_role("heading", name="Compare submissions")).to_be_visible()
        expect(page.locator("td.difference").first).to_be_visible()
        assert_fits(page, "phone")
        assert_page_accessible(page, axe_source)

        create_team(page, stack.base_url, who, slug=CODE_SLUG)
        page.goto(f"{stack.base_url}/challenges/{CODE_SLUG}/submit?lang=en")
        expect(page.get_by_role("heading", name="What to upload: a program")).to_be_visible()
        expect(page.locator("section.code-run")).to_contain_text("python3 main.py")
        assert_fits(page, "phone")
        assert_page_accessible(page, axe_source)
    finally:
        context.close()


def test_a_waiting_submission_page_fits_a_phone_with_its_cancel_confirmation(
    browser: Browser, stack: Stack, axe_source: str
) -> None:
    """The page right after an upload, while the submission may still wait: its facts and,
    when still queued, the cancel confirmation opened, fit and pass axe."""
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    try:
        who = new_participant("Waiting")
        sign_up(page, stack.base_url, who)
        create_team(page, stack.base_url, who)
        submission = submit_file(page, stack.base_url, BASELINE)
        page.goto(f"{stack.base_url}/submissions/{submission}?lang=en")
        summary = page.locator("#cancel-confirm summary")
        if summary.count():
            summary.click()
            expect(page.locator("#cancel-confirm")).to_contain_text("does not count against")
        assert_fits(page, "phone")
        assert_page_accessible(page, axe_source)
        _scored(page, stack.base_url, submission)
    finally:
        context.close()
