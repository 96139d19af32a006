"""The public catalog pages at a phone's width and on a desktop: the list at /challenges and a
challenge's tabs (the rules tab carries dates written from the phases, the data tab the data's
source and licence), for a visitor who is not logged in. The page does not scroll sideways,
nothing in its content is wider than the screen, and axe finds no serious or critical
violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_flows import SLUG, new_context
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
PAGES = {
    "challenges": "/challenges",
    "overview": f"/challenges/{SLUG}",
    "data": f"/challenges/{SLUG}?page=data",
    "rules": f"/challenges/{SLUG}?page=rules",
    "rules-it": f"/challenges/{SLUG}?page=rules&lang=it",
    # project challenges: the rubric and the sources are lists, the longest pages of the catalog
    "project-evaluation": "/challenges/gulf-digital-twin?page=evaluation",
    "project-data-it": "/challenges/city-ransomware-resilience?page=data&lang=it",
}
WIDEST = """() => [...document.querySelectorAll("main, main *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}: `
            + `${Math.round(e.getBoundingClientRect().right)} px`)
  .slice(0, 8)"""
RUN_AXE = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(" ")).slice(0, 5)}`);
}"""


@pytest.fixture(scope="module")
def anonymous(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser, bypass_csp=True)  # axe is injected; the CSP is tested elsewhere
    yield context
    context.close()


@pytest.mark.parametrize("size", SIZES, ids=SIZES.keys())
@pytest.mark.parametrize("name", PAGES, ids=PAGES.keys())
def test_the_page_fits_the_screen_and_passes_axe(
    anonymous: BrowserContext, stack: Stack, axe_source: str, name: str, size: str
) -> None:
    page = anonymous.new_page()
    try:
        page.set_viewport_size(SIZES[size])
        answer = page.goto(stack.base_url + PAGES[name])
        assert answer is not None and answer.ok, name
        page.wait_for_load_state("load")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= SIZES[size]["width"], f"{name} at {size} scrolls sideways: {scroll} px"
        wide: list[str] = page.evaluate(WIDEST)
        assert not wide, f"{name} at {size}: wider than the screen: {wide}"
        page.evaluate(axe_source)
        blocking: list[str] = page.evaluate(RUN_AXE)
        assert not blocking, f"{name} at {size}: " + "\n".join(blocking)
    finally:
        page.close()
