"""A participant's whole evening, in a real browser against the real stack.

Sign up, make a team, upload the baseline, watch it being judged without
reloading, find the team on the leaderboard; then watch a rival team appear
on that open leaderboard, again without a reload. The site runs with its
Content-Security-Policy on, so live pages must work with their own scripts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from e2e_flows import (
    BASELINE,
    JUDGING_TIMEOUT_MS,
    SLUG,
    Participant,
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

PENDING = re.compile(r"\b(queued|running)\b", re.I)
SCORED = re.compile(r"\bscored\b", re.I)


class NavigationLog:
    """Every main-frame navigation of a page, so "no reload happened" is checked, not hoped."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.csp_errors: list[str] = []
        page.on("framenavigated", self._navigated)
        page.on("console", self._console)
        self._page = page

    def _navigated(self, frame: object) -> None:
        if frame is self._page.main_frame:
            self.urls.append(self._page.url)

    def _console(self, message: object) -> None:
        text = str(getattr(message, "text", ""))
        if "Content Security Policy" in text:
            self.csp_errors.append(text)

    def reset(self) -> None:
        self.urls.clear()


@pytest.fixture
def first(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def second(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


def api_board(stack: Stack) -> dict[str, dict[str, float]]:
    """Team name -> scores, as the JSON API publishes them (what the pages must agree with)."""
    answer = httpx.get(f"{stack.base_url}/api/v1/challenges/{SLUG}/leaderboard", timeout=10)
    answer.raise_for_status()
    return {row["team"]["name"]: row["scores"] for row in answer.json()["rows"]}


def shown_number(value: float) -> re.Pattern[str]:
    """A score as a page may print it: at the board's precision, with either decimal mark."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return re.compile(re.escape(text).replace(r"\.", r"[.,]"))


def enter(context: BrowserContext, stack: Stack, who: Participant) -> Page:
    page = context.new_page()
    sign_up(page, stack.base_url, who)
    create_team(page, stack.base_url, who)
    return page


def watch_judging(page: Page, stack: Stack) -> None:
    """On the submission page: pending first, then scored, with no navigation in between."""
    main = page.locator("main")
    log = NavigationLog(page)
    mark_page(page)
    status_on_arrival = main.inner_text()
    assert PENDING.search(status_on_arrival) or SCORED.search(status_on_arrival), (
        f"the submission page shows no status:\n{status_on_arrival[:1000]}"
    )
    expect(main).to_contain_text(SCORED, timeout=JUDGING_TIMEOUT_MS)
    assert still_marked(page), "the submission page reloaded instead of updating live"
    assert log.urls == [], f"the submission page navigated while judging: {log.urls}"
    assert not log.csp_errors, f"scripts blocked by the CSP: {log.csp_errors}"
    assert PENDING.search(status_on_arrival), (
        "the submission was already scored when its page opened, so the live update "
        f"could not be observed; page said:\n{status_on_arrival[:500]}\n{stack.logs_tail()}"
    )


def test_participant_submits_and_sees_boards_update_live(
    first: BrowserContext, second: BrowserContext, stack: Stack
) -> None:
    alice = new_participant("Alice")
    page = enter(first, stack, alice)

    submission_id = submit_file(page, stack.base_url, BASELINE)
    watch_judging(page, stack)

    scores = api_board(stack).get(alice.team)
    assert scores is not None, f"{alice.team} is not on the API leaderboard after scoring"
    main = page.locator("main")
    for key in ("rmse", "mae"):
        expect(main).to_contain_text(shown_number(scores[key]))

    page.goto(f"{stack.base_url}/challenges/{SLUG}/leaderboard")
    board = page.locator("main")
    expect(board).to_contain_text(alice.team)
    expect(board).to_contain_text(shown_number(scores["rmse"]))
    expect(board.locator("svg").first, "the leaderboard has no chart").to_be_visible()

    # With Alice's board open, Bob's team submits from another browser.
    log = NavigationLog(page)
    mark_page(page)
    bob = new_participant("Bob")
    bob_page = enter(second, stack, bob)
    bob_submission = submit_file(bob_page, stack.base_url, BASELINE)
    assert bob_submission != submission_id

    expect(board).to_contain_text(bob.team, timeout=JUDGING_TIMEOUT_MS)
    assert still_marked(page), "the leaderboard reloaded instead of updating live"
    assert log.urls == [], f"the leaderboard navigated while updating: {log.urls}"
    assert not log.csp_errors, f"scripts blocked by the CSP: {log.csp_errors}"
    expect(board).to_contain_text(alice.team)
