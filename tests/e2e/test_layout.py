"""Every main page, for every role, on a phone (390×844) and a desktop (1280×800).

No page scrolls sideways (wide tables scroll inside their own box), the header's menu
opens and shows every link the role has (a <details> on phones, a plain row on desktops),
the language switch is always visible, and axe finds no serious or critical violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from e2e_flows import (
    BASELINE,
    SIZES,
    SLUG,
    StaffMember,
    assert_fits,
    assert_page_accessible,
    create_staff,
    create_team,
    log_in,
    new_context,
    new_participant,
    sign_up,
    submit_file,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext, Page, expect

DEMO_ORGANISER = "organizzazione@marea.example"  # challenges/event/event.yaml


@dataclass(frozen=True)
class Role:
    context: BrowserContext
    links: tuple[str, ...]  # what the header menu must show
    pages: tuple[str, ...]


@pytest.fixture(scope="module")
def roles(browser: Browser, stack: Stack) -> Iterator[dict[str, Role]]:
    made: list[BrowserContext] = []

    def context() -> BrowserContext:
        made.append(new_context(browser, bypass_csp=True))
        return made[-1]

    public = (
        "/",
        "/challenges",
        f"/challenges/{SLUG}",
        f"/challenges/{SLUG}?page=data",
        f"/challenges/{SLUG}/leaderboard",
    )
    anonymous = Role(context(), ("Log in", "Sign up"), (*public, "/login", "/signup"))

    member_context = context()
    page = member_context.new_page()
    who = new_participant("Layout")
    sign_up(page, stack.base_url, who)
    create_team(page, stack.base_url, who)
    submission = submit_file(page, stack.base_url, BASELINE)
    page.close()
    participant = Role(
        member_context,
        (who.name, "Log out"),
        (
            *public,
            f"/challenges/{SLUG}/team",
            f"/challenges/{SLUG}/submit",
            f"/challenges/{SLUG}/submissions",
            f"/submissions/{submission}",
            "/account",
        ),
    )

    def staff(
        role: str, label: str, email: str | None = None
    ) -> tuple[StaffMember, BrowserContext]:
        member = create_staff(stack.data_dir, role, label, email)
        signed_in = context()
        login_page = signed_in.new_page()
        log_in(login_page, stack.base_url, member.email, member.password, member.name)
        login_page.close()
        return member, signed_in

    judge, judge_context = staff("judge", "Layoutjudge")
    # the catalog's challenges are the demo event's: its event.yaml names their organiser
    organiser, organiser_context = staff("organiser", "Layoutorganiser", DEMO_ORGANISER)
    admin, admin_context = staff("admin", "Layoutadmin")
    organise = f"/organise/{SLUG}"
    yield {
        "anonymous": anonymous,
        "participant": participant,
        "judge": Role(judge_context, ("Judging", judge.name, "Log out"), ("/judge", *public)),
        "organiser": Role(
            organiser_context,
            ("Judging", "Organise", organiser.name, "Log out"),
            (
                "/organise",
                "/organise/dashboard",
                organise,
                f"{organise}/teams",
                f"{organise}/submissions",
                f"{organise}/audit",
                f"{organise}/rescores",
                f"{organise}/judges",
                f"{organise}/log-excerpts",
                f"{organise}/preview",
                f"{organise}/ranking",
                f"{organise}/reveal",
                f"/challenges/{SLUG}/leaderboard",
            ),
        ),
        "admin": Role(
            admin_context,
            ("Judging", "Organise", "Users", admin.name, "Log out"),
            ("/admin/users", "/admin/users/1", "/organise", organise, f"{organise}/teams"),
        ),
    }
    for each in made:
        each.close()


def check_header(page: Page, size: str, links: tuple[str, ...]) -> None:
    header = page.locator("header.site")
    menu = header.get_by_role("navigation", name="Main")
    summary = menu.locator("summary")
    if size == "phone":
        expect(summary).to_be_visible()
        expect(menu.get_by_role("link", name=links[0], exact=True)).to_be_hidden()
        summary.click()
        expect(menu.locator("details")).to_have_attribute("open", "")
    else:
        expect(summary).to_be_hidden()
    for name in links:
        item = menu.get_by_role("link", name=name, exact=True).or_(
            menu.get_by_role("button", name=name, exact=True)
        )
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box is not None and box["x"] >= 0, f"{name} is off the screen"
        assert box["x"] + box["width"] <= SIZES[size]["width"] + 0.5, f"{name} is clipped"
    switch = header.get_by_role("navigation", name="Language")
    for language in ("Italiano", "English"):
        expect(switch.get_by_role("link", name=language)).to_be_visible()


@pytest.mark.parametrize("size", SIZES, ids=SIZES.keys())
@pytest.mark.parametrize("role", ["anonymous", "participant", "judge", "organiser", "admin"])
def test_every_main_page_fits_and_has_a_working_menu(
    roles: dict[str, Role], stack: Stack, axe_source: str, role: str, size: str
) -> None:
    who = roles[role]
    page = who.context.new_page()
    page.set_viewport_size(SIZES[size])
    failures: list[str] = []
    try:
        for index, path in enumerate(who.pages):
            answer = page.goto(stack.base_url + path)
            assert answer is not None and answer.ok, f"{path} answered {answer and answer.status}"
            page.wait_for_load_state("load")
            try:
                assert_fits(page, size)
                assert_page_accessible(page, axe_source)
            except AssertionError as problem:
                failures.append(str(problem))
            if index == 0 or path == f"/challenges/{SLUG}":
                check_header(page, size, who.links)
                assert_fits(page, size)  # the open menu too
    finally:
        page.close()
    assert not failures, "\n\n".join(failures)


def test_phone_challenge_page_shows_the_phases_and_deadlines_first(
    roles: dict[str, Role], stack: Stack
) -> None:
    page = roles["anonymous"].context.new_page()
    page.set_viewport_size(SIZES["phone"])
    try:
        page.goto(f"{stack.base_url}/challenges/{SLUG}")
        phases = page.locator(".layout > aside")
        expect(phases).to_be_visible()
        box = phases.bounding_box()
        bottom = box["y"] + box["height"] if box else None
        assert bottom is not None and bottom <= SIZES["phone"]["height"], (
            f"the phases end at {bottom} px, below the first screen of a phone"
        )
        expect(phases.locator("time").first).to_be_visible()
    finally:
        page.close()
