"""axe-core on every main page: no "serious" or "critical" violation may ship.

axe runs in a context that bypasses the site's Content-Security-Policy (which
rightly forbids injected scripts); the participant-flow test runs with the
policy on, so scripts the pages need are still checked against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_flows import (
    BASELINE,
    SLUG,
    create_staff,
    create_team,
    log_in,
    new_context,
    new_participant,
    sign_up,
    submit_file,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext

BLOCKING = frozenset({"serious", "critical"})
RUN_AXE = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")).slice(0, 10),
  }));
}"""

PUBLIC_PAGES = {
    "home": "/",
    "challenges": "/challenges",
    "challenge": f"/challenges/{SLUG}",
    "challenge-data": f"/challenges/{SLUG}?page=data",
    "login": "/login",
    "signup": "/signup",
    "leaderboard": f"/challenges/{SLUG}/leaderboard",
}


@dataclass(frozen=True)
class Member:
    context: BrowserContext
    submission_id: int


@pytest.fixture(scope="module")
def anonymous(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser, bypass_csp=True)
    yield context
    context.close()


@pytest.fixture(scope="module")
def member(browser: Browser, stack: Stack) -> Iterator[Member]:
    """A signed-in participant with a team and one submission, for the pages behind login."""
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    who = new_participant("Axe")
    sign_up(page, stack.base_url, who)
    create_team(page, stack.base_url, who)
    submission_id = submit_file(page, stack.base_url, BASELINE)
    page.close()
    yield Member(context, submission_id)
    context.close()


def audit(context: BrowserContext, url: str, axe_source: str) -> list[dict[str, Any]]:
    page = context.new_page()
    try:
        answer = page.goto(url)
        assert answer is not None and answer.ok, (
            f"{url} answered {answer.status if answer else 'nothing'}; the page must exist"
        )
        page.wait_for_load_state("load")
        page.evaluate(axe_source)
        violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
        return violations
    finally:
        page.close()


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n    at " + "\n    at ".join(v["targets"])
        for v in violations
    )


def assert_accessible(url: str, violations: list[dict[str, Any]]) -> None:
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe found serious/critical violations on {url}:\n{describe(blocking)}"


@pytest.mark.parametrize("path", PUBLIC_PAGES.values(), ids=PUBLIC_PAGES.keys())
def test_public_page_has_no_serious_violation(
    anonymous: BrowserContext, stack: Stack, axe_source: str, path: str
) -> None:
    url = stack.base_url + path
    assert_accessible(url, audit(anonymous, url, axe_source))


@pytest.mark.parametrize("page_name", ["submit", "submission", "challenge-as-member"])
def test_member_page_has_no_serious_violation(
    member: Member, stack: Stack, axe_source: str, page_name: str
) -> None:
    path = {
        "submit": f"/challenges/{SLUG}/submit",
        "submission": f"/submissions/{member.submission_id}",
        "challenge-as-member": f"/challenges/{SLUG}",
    }[page_name]
    url = stack.base_url + path
    assert_accessible(url, audit(member.context, url, axe_source))


@pytest.fixture(scope="module")
def admin(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    """A signed-in admin, for the admin pages (the only role that reaches them)."""
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    who = create_staff(stack.data_dir, "admin", "Axeadmin")
    log_in(page, stack.base_url, who.email, who.password, who.name)
    page.close()
    yield context
    context.close()


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users?q=axe", "/admin/users/1"])
def test_admin_page_has_no_serious_violation(
    admin: BrowserContext, stack: Stack, axe_source: str, path: str
) -> None:
    url = stack.base_url + path
    assert_accessible(url, audit(admin, url, axe_source))
