"""The account page in a real browser at a phone's width: sessions, tokens, logging out elsewhere.

At 390 px nothing in the page's content is wider than the screen (with a long token name,
a new token shown, two sessions listed and the "log out everywhere else" confirmation
open), axe finds no serious violation, and confirming ends the other browser's session.
The site's header is base.html's, shared by every page, and is not measured here.
"""

from __future__ import annotations

import re

from e2e_flows import log_in, new_context, new_participant, sign_up
from e2e_stack import Stack
from playwright.sync_api import Browser, Page, expect

PHONE = {"width": 390, "height": 844}
RUN_AXE = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(" ")).slice(0, 5)}`);
}"""


WIDEST = """() => [...document.querySelectorAll("main, main *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}: `
            + `${Math.round(e.getBoundingClientRect().right)} px`)
  .slice(0, 8)"""


def _fits(page: Page, what: str) -> None:
    wide: list[str] = page.evaluate(WIDEST)
    assert not wide, f"{what}: wider than the {PHONE['width']} px screen: {wide}"


def test_the_account_page_fits_a_phone_and_logs_out_elsewhere(
    browser: Browser, stack: Stack, axe_source: str
) -> None:
    who = new_participant("Acct")
    phone = new_context(browser, bypass_csp=True)  # axe is injected; the policy is tested elsewhere
    page = phone.new_page()
    page.set_viewport_size(PHONE)
    sign_up(page, stack.base_url, who)
    laptop = new_context(browser)
    other = laptop.new_page()
    log_in(other, stack.base_url, who.email, who.password, who.name)

    page.goto(f"{stack.base_url}/account")
    page.get_by_label("Name of the new token").fill("the whole team's shared laptop " * 3)
    page.get_by_label(re.compile("Read and submit")).check()
    page.get_by_role("button", name="Create a token").click()
    expect(page.locator("#new-token")).to_have_value(re.compile(r"^marea_"))
    expect(page.locator("#tokens")).to_contain_text("read and submit")
    _fits(page, "a new token shown")
    page.get_by_text("Log out everywhere else…").click()
    expect(page.get_by_text("This browser stays logged in.")).to_be_visible()
    _fits(page, "the confirmation open")
    page.evaluate(axe_source)
    serious: list[str] = page.evaluate(RUN_AXE)
    assert not serious, "\n".join(serious)

    page.get_by_role("button", name="Yes, log out everywhere else").click()
    expect(page.get_by_role("status")).to_contain_text("1 other session has been ended")
    other.goto(f"{stack.base_url}/account")
    expect(other).to_have_url(re.compile(r"/login\?next=%2Faccount"))
    phone.close()
    laptop.close()
