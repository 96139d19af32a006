"""The board's lists in a phone-sized browser (issue 14): my team marked, entries and last
submission, the team's score history one click away; the live refresh keeps them; no
horizontal scroll at 390 px, and axe finds nothing serious.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from e2e_flows import (
    BASELINE,
    JUDGING_TIMEOUT_MS,
    SLUG,
    assert_page_accessible,
    create_team,
    mark_page,
    new_context,
    new_participant,
    sign_up,
    still_marked,
    submit_file,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext, Page, expect

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser, bypass_csp=True)  # axe is injected
    yield context
    context.close()


def _scored(stack: Stack, team: str) -> None:
    deadline = time.monotonic() + JUDGING_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        answer = httpx.get(f"{stack.base_url}/api/v1/challenges/{SLUG}/leaderboard", timeout=10)
        if team in {row["team"]["name"] for row in answer.json()["rows"]}:
            return
        time.sleep(0.5)
    raise AssertionError(f"{team} never reached the board\n{stack.logs_tail()}")


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways at 390 px: {width}"


def test_my_team_its_lists_and_its_history_on_a_phone(
    phone: BrowserContext, browser: Browser, stack: Stack, axe_source: str
) -> None:
    alice = new_participant("Lists")
    page = phone.new_page()
    page.set_viewport_size(PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_up(page, stack.base_url, alice)
    create_team(page, stack.base_url, alice)
    submit_file(page, stack.base_url, BASELINE)
    _scored(stack, alice.team)

    page.goto(f"{stack.base_url}/challenges/{SLUG}/leaderboard")
    mine = page.locator("#board tr.mine")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("aria-current", "true")
    expect(mine).to_contain_text(alice.team)
    expect(mine).to_contain_text("(your team)")
    expect(mine.locator("td.entries")).to_have_text("1")
    expect(mine.locator("td.last time")).to_have_count(1)
    _no_sideways_scroll(page)
    assert_page_accessible(page, axe_source)

    # Another team scores while the board is open: the rows come live, my marks stay.
    mark_page(page)
    other = new_context(browser)
    bob = new_participant("Others")
    bob_page = other.new_page()
    sign_up(bob_page, stack.base_url, bob)
    create_team(bob_page, stack.base_url, bob)
    submit_file(bob_page, stack.base_url, BASELINE)
    expect(page.locator("#board")).to_contain_text(bob.team, timeout=JUDGING_TIMEOUT_MS)
    other.close()
    assert still_marked(page), "the board reloaded instead of updating live"
    expect(mine).to_contain_text("(your team)")
    expect(mine.locator("td.entries")).to_have_text("1")

    # The team's name leads to its history: a chart of public scores, and the same as a table.
    mine.locator("td.team a").click()
    page.wait_for_url(re.compile(r"/leaderboard/teams/\d+"))
    expect(page.locator("h1")).to_contain_text(alice.team)
    expect(page.locator("svg.chart path.team-line")).to_have_count(1)
    expect(page.locator("dd.entries")).to_have_text("1")
    _no_sideways_scroll(page)
    page.locator("main details summary").click()
    _no_sideways_scroll(page)
    assert_page_accessible(page, axe_source)
    assert errors == [], f"script errors: {errors}"
