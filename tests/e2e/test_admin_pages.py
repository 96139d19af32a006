"""The admin pages in a real browser on a phone (390 px) and a desktop: an admin finds a
participant, makes them a judge and deactivates them, each through its confirmation page.
Every page on the way fits the screen (no sideways scroll, nothing wider than it) and axe
finds no serious or critical violation; the participant's browser is logged out by each."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from e2e_flows import (
    assert_page_accessible,
    create_staff,
    log_in,
    new_context,
    new_participant,
    open_menu,
    sign_up,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext, Page, expect

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
WIDEST = """() => [...document.querySelectorAll("main, main *, header, header *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}: `
            + `${Math.round(e.getBoundingClientRect().right)} px`)
  .slice(0, 8)"""


@pytest.fixture
def contexts(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    made = {name: new_context(browser, bypass_csp=True) for name in ("admin", "person")}
    yield made
    for context in made.values():
        context.close()


def fits_and_passes_axe(page: Page, axe_source: str, what: str) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} scrolls sideways at {width} px: {scroll} px"
    wide: list[str] = page.evaluate(WIDEST)
    assert not wide, f"{what} at {width} px: wider than the screen: {wide}"
    assert_page_accessible(page, axe_source)


@pytest.mark.parametrize("size", SIZES, ids=SIZES.keys())
def test_admin_makes_a_participant_a_judge_then_deactivates_them(
    contexts: dict[str, BrowserContext], stack: Stack, axe_source: str, size: str
) -> None:
    admin = create_staff(stack.data_dir, "admin", "Admin")
    person = new_participant("Promoted")
    their = contexts["person"].new_page()
    sign_up(their, stack.base_url, person)

    page = contexts["admin"].new_page()
    page.set_viewport_size(SIZES[size])
    log_in(page, stack.base_url, admin.email, admin.password, admin.name)
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    fits_and_passes_axe(page, axe_source, "the user list")

    page.get_by_label("Search by name or email").fill(person.email)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#users tbody tr")).to_have_count(1)
    fits_and_passes_axe(page, axe_source, "the search result")
    page.get_by_role("link", name=person.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(person.name)
    fits_and_passes_axe(page, axe_source, "the user's page")

    page.get_by_label("New role").select_option("judge")
    page.get_by_role("button", name="Change the role…").click()
    expect(page.locator("#effects")).to_contain_text("1 session ends")
    fits_and_passes_axe(page, axe_source, "the role confirmation")
    page.get_by_role("button", name="Yes, change the role").click()
    expect(page.get_by_role("status")).to_contain_text(f"{person.name} is now Judge")
    expect(page.locator("#target-role")).to_have_text("Judge")
    fits_and_passes_axe(page, axe_source, "the user's page after the change")
    their.reload()
    expect(their.get_by_role("navigation", name="Main")).to_contain_text("Log in")

    page.get_by_role("button", name="Deactivate the account…").click()
    expect(page.locator("#effects")).to_contain_text("They can no longer log in.")
    fits_and_passes_axe(page, axe_source, "the deactivation confirmation")
    page.get_by_role("button", name="Yes, deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("is deactivated")
    expect(page.locator("#target-active")).to_have_text("no")
    fits_and_passes_axe(page, axe_source, "the user's page after deactivation")
