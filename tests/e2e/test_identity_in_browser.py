"""The catalog's sea challenge with its identity, in a real browser under the site's own CSP:
the hero and logo load and are drawn, the colours' style sheet applies, and at a phone's 390 px
nothing is wider than the screen while the phases still come within the first screen."""

from __future__ import annotations

import pytest
from e2e_flows import SLUG, new_context
from e2e_stack import Stack
from playwright.sync_api import Browser, expect

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className}`).slice(0, 8)"""


@pytest.mark.parametrize("size", SIZES, ids=SIZES.keys())
def test_the_identity_shows_and_fits(browser: Browser, stack: Stack, size: str) -> None:
    context = new_context(browser)  # the CSP applies: the style sheet must be the site's own
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    try:
        page.set_viewport_size(SIZES[size])
        answer = page.goto(f"{stack.base_url}/challenges/{SLUG}")
        assert answer is not None and answer.ok
        page.wait_for_load_state("load")
        for selector in (".identity-hero", ".identity-logo"):
            image = page.locator(selector)
            expect(image).to_be_visible()
            assert image.evaluate("i => i.complete && i.naturalWidth > 0"), selector
        expect(page.locator(".identity-logo")).to_have_attribute(
            "alt", "Logo of Sea surface temperature"
        )
        button = page.locator(".challenge-actions .button:not(.secondary)").first
        expect(button).to_have_css("background-color", "rgb(14, 90, 107)")
        expect(page.locator(".tabs a[aria-current]")).to_have_css(
            "background-color", "rgb(242, 193, 78)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        assert page.evaluate(WIDEST) == []
        if size == "phone":
            box = page.locator(".layout > aside").bounding_box()
            assert box is not None and box["y"] + box["height"] <= SIZES["phone"]["height"], box
        assert blocked == []
    finally:
        context.close()
