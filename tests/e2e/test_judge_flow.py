"""A judge reviews a finalist in the browser, and the organiser's ranking counts it.

The organiser loads a challenge whose judged (last) phase is open, publishes it
and assigns two judges on its judges page; a team submits with a write-up,
is scored by the real worker and marks the submission final; one judge reads
the team's members, scores, logs, file and write-up and saves a rubric review
with the keyboard alone (Tab, arrow keys, Space, Enter); the final ranking,
which the judge reads too, then counts it, and the organiser sees that judge
has rated every finalist. The other judge joined the team, so they take part
in the challenge and the site refuses them every judge's page of it. axe checks the judging pages as judges see them.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_flows import (
    JUDGING_TIMEOUT_MS,
    Participant,
    StaffMember,
    assert_page_accessible,
    create_staff,
    create_team,
    fixture_bundle,
    log_in,
    new_context,
    new_participant,
    open_final_phase,
    press_confirmed,
    sign_up,
    submit_with_write_up,
    upload_bundle,
    zip_bundle,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, BrowserContext, Page, expect

DESCRIPTION = "Persistence forecast: tomorrow's waves are today's, tuned on the buoy."
LINK = "https://example.org/harbour-team/write-up"
COMMENT = "Clear write-up; the persistence baseline is honest but not new."
RATINGS = {"Innovation": "2", "Impact": "4"}  # the fixture's rubric, scale 1 to 5
# The judged phase takes code, so the team's program leaves logs for the judges to read.
CODE_PHASE = {
    """    kind: predictions
    limits: {per_day: 2, total: 20, concurrent: 1}""": """    kind: code
    limits: {per_day: 2, total: 20, concurrent: 1}
    code: {command: ["python3", "main.py"], time_limit_s: 60, memory_mb: 256}""",
}
PROGRAM = """import csv, os
from pathlib import Path

test = next(Path(os.environ["MAREA_INPUT_DIR"]).rglob("test.csv"))
rows = list(csv.DictReader(test.open()))
with open(os.environ["MAREA_PREDICTIONS_FILE"], "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "wave_height"])
    writer.writerows([row["id"], 0.88] for row in rows)
print(f"persistence forecast for {len(rows)} hours")
"""
PROGRAM_LOG = "persistence forecast for 20 hours"


@pytest.fixture
def contexts(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    """Staff contexts bypass the CSP (axe is injected); the team's runs with it on."""
    made = {
        "organiser": new_context(browser, bypass_csp=True),
        "judge": new_context(browser, bypass_csp=True),
        "member_judge": new_context(browser),
        "team": new_context(browser),
    }
    yield made
    for context in made.values():
        context.close()


def publish_judged_challenge(page: Page, stack: Stack, tmp_path: Path) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    slug, title = f"harbour-judged-{tag}", f"Harbour judged {tag}"
    edits = {**open_final_phase(datetime.now(UTC)), **CODE_PHASE}
    folder = fixture_bundle(tmp_path, slug, title, edits)
    upload_bundle(page, stack.base_url, zip_bundle(folder, tmp_path / f"{slug}.zip"))
    expect(page).to_have_url(re.compile(rf"/organise/{slug}$"))
    press_confirmed(page, "Publish")
    expect(page.locator("section.status strong")).to_have_text("Published")
    return slug, title


def assign_judge(page: Page, email: str) -> None:
    page.get_by_label("Email of a user with the judge role").fill(email)
    page.get_by_role("button", name="Add judge").click()
    page.wait_for_load_state()


def program_zip(tmp_path: Path) -> Path:
    archive = tmp_path / "solution.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.py", PROGRAM)
    return archive


def scored_final_submission(
    page: Page, stack: Stack, slug: str, program: Path
) -> tuple[Participant, str]:
    """A team submits with a write-up, waits for its score and marks it final.

    Returns the team's member and its public RMSE as its own submission page prints it.
    """
    who = new_participant("Finalist")
    sign_up(page, stack.base_url, who)
    create_team(page, stack.base_url, who, slug=slug)
    submit_with_write_up(page, stack.base_url, program, slug, DESCRIPTION, LINK)
    choose = page.get_by_role("button", name="Choose as final")
    try:
        expect(choose).to_be_visible(timeout=JUDGING_TIMEOUT_MS)
    except AssertionError as exc:
        shown = page.locator("main").inner_text()
        raise AssertionError(f"not scored:\n{shown}\n{stack.logs_tail()}") from exc
    public = page.locator("table.scores tr").filter(
        has=page.get_by_role("rowheader", name="public")
    )
    rmse = public.locator("td.score").first.inner_text().strip()
    assert re.fullmatch(r"\d+[.,]\d{3}", rmse), f"no public RMSE on the team's page: {rmse!r}"
    choose.click()
    expect(page.locator("main")).to_contain_text("Chosen as final.")
    return who, rmse


def invite_code(page: Page, stack: Stack, slug: str) -> str:
    page.goto(f"{stack.base_url}/challenges/{slug}/team")
    code = page.locator("#invite-code").inner_text().strip()
    assert code, "the captain's team page shows no invitation code"
    return code


def test_judge_reviews_finalist_and_ranking_counts_it(
    contexts: dict[str, BrowserContext], stack: Stack, tmp_path: Path, axe_source: str
) -> None:
    organiser = create_staff(stack.data_dir, "organiser", "Organiser")
    judge = create_staff(stack.data_dir, "judge", "Judge")
    member_judge = create_staff(stack.data_dir, "judge", "Conflicted")

    org = contexts["organiser"].new_page()
    log_in(org, stack.base_url, organiser.email, organiser.password, organiser.name)
    slug, _title = publish_judged_challenge(org, stack, tmp_path)

    # Judges are assigned on the challenge's judges page; a participant cannot be one.
    org.get_by_role("link", name="Judges", exact=True).click()
    expect(org).to_have_url(re.compile(rf"/organise/{slug}/judges$"))
    team_page = contexts["team"].new_page()
    program = program_zip(tmp_path)
    finalist_member, rmse = scored_final_submission(team_page, stack, slug, program)
    team = finalist_member.team
    assign_judge(org, finalist_member.email)
    expect(org.get_by_role("alert")).to_contain_text("give them the judge role first")
    for staff in (judge, member_judge):
        assign_judge(org, staff.email)
        expect(org.locator("table.judges")).to_contain_text(staff.email)
    expect(org.locator("table.judges")).not_to_contain_text(finalist_member.email)
    assert_page_accessible(org, axe_source)

    join_team(contexts["member_judge"].new_page(), stack, member_judge, slug, team, team_page)

    page = contexts["judge"].new_page()
    log_in(page, stack.base_url, judge.email, judge.password, judge.name)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Judging").click()
    expect(page).to_have_url(re.compile(r"/judge$"))
    assert_page_accessible(page, axe_source)
    page.locator(f"main a[href$='/judge/{slug}']").click()
    finalist = page.locator("tr.finalist").filter(has_text=team)
    expect(finalist).to_contain_text("to do")
    expect(finalist).to_contain_text(rmse)
    assert_page_accessible(page, axe_source)

    finalist.get_by_role("link", name=team).click()
    team_url = page.url
    expect(page.locator("ul.members")).to_contain_text(f"{finalist_member.name} (captain)")
    read_finalist(page, program, rmse, axe_source)
    rate_with_the_keyboard(page)
    expect(page.get_by_role("status")).to_have_text("Your review is saved.")
    for label, value in RATINGS.items():
        group = page.get_by_role("group", name=re.compile(rf"^{label} \(weight"))
        expect(group.get_by_role("radio", name=re.compile(rf"^{value} · "))).to_be_checked()
        expect(group.get_by_role("radio", checked=True)).to_have_count(1)
    expect(page.get_by_label("Comment")).to_have_value(COMMENT)
    expect(page.get_by_role("button", name="Update review")).to_be_visible()
    assert_page_accessible(page, axe_source)
    page.get_by_role("link", name="Finalists", exact=True).click()
    expect(page.locator("tr.finalist").filter(has_text=team)).to_contain_text("done")

    # The judge reads the combined ranking too, without anything to change on it.
    page.get_by_role("link", name="Final ranking").click()
    expect(page).to_have_url(re.compile(rf"/judge/{slug}/ranking$"))
    expect(page.locator("tr.ranked").filter(has_text=team)).to_contain_text(team)
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert_on_a_phone(page, axe_source, "the judges' ranking")

    # The organiser sees who has rated what: this judge every finalist, the other none.
    org.reload()
    done = org.locator("tr.judge-progress").filter(has_text=judge.name)
    expect(done).to_contain_text("1 of 1")
    expect(done).to_contain_text("none: every finalist is rated")
    assert_on_a_phone(org, axe_source, "the organisers' judges page")

    # The organiser's final ranking counts the review; the export carries the comment.
    org.get_by_role("link", name="Final ranking").click()
    ranked = org.locator("tr.ranked").filter(has_text=team)
    cells = ranked.locator("td")
    expect(cells.nth(4)).to_have_text(re.compile(r"^\d+[.,]\d{3}$"))  # a rubric, not "not reviewed"
    expect(cells.nth(5)).to_have_text("1")
    assert_page_accessible(org, axe_source)
    export = org.request.get(f"{stack.base_url}/organise/{slug}/reviews.csv?by=team")
    assert export.ok, export.status
    assert COMMENT in export.text() and judge.email in export.text()

    # The judge who joined the team takes part in the challenge now: a participant there,
    # whatever their role. Their judging index says so, and no judge's page of the
    # challenge (which would show every team's standing) opens for them.
    member = contexts["member_judge"].pages[0]
    member.goto(f"{stack.base_url}/judge")
    expect(member.locator("ul.judged")).to_contain_text("you are in a team of this challenge")
    expect(member.locator("ul.judged").get_by_role("link")).to_have_count(0)
    for url in (f"{stack.base_url}/judge/{slug}", team_url):
        answer = member.goto(url)
        assert answer is not None and answer.status == 403, answer.status if answer else None
        expect(member.locator("main")).to_contain_text("take part in it as a participant")
        expect(member.get_by_role("button", name="Save review")).to_have_count(0)


def rate_with_the_keyboard(page: Page) -> None:
    """Tab into each criterion's row of points, arrows to the rating, then Enter on the button.

    Nothing is clicked: the rubric must be operable by a judge who uses only a keyboard.
    """
    page.locator("pre.log").last.focus()
    for label, value in RATINGS.items():
        group = page.get_by_role("group", name=re.compile(rf"^{label} \(weight"))
        page.keyboard.press("Tab")
        first = group.get_by_role("radio").first
        expect(first).to_be_focused()  # nothing chosen yet: Tab lands on the lowest point
        page.keyboard.press("Space")
        for _ in range(int(value) - 1):
            page.keyboard.press("ArrowRight")
        chosen = group.get_by_role("radio", name=re.compile(rf"^{value} · "))
        expect(chosen).to_be_focused()
        expect(chosen).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Comment")).to_be_focused()
    page.keyboard.type(COMMENT)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save review")).to_be_focused()
    page.keyboard.press("Enter")


def assert_on_a_phone(page: Page, axe_source: str, what: str) -> None:
    """No sideways scroll at 390 px, and axe passes there too."""
    desktop = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} scrolls sideways on a phone: {width} px"
    assert_page_accessible(page, axe_source)
    if desktop:
        page.set_viewport_size(desktop)


def read_finalist(page: Page, program: Path, rmse: str, axe_source: str) -> None:
    """Everything the judge needs is on the team's page: scores, write-up, file, logs."""
    main = page.locator("main")
    expect(main.locator("table.scores")).to_contain_text(rmse)
    expect(main.locator("p.description")).to_have_text(DESCRIPTION)
    expect(main.locator("a.write-up")).to_have_attribute("href", LINK)
    expect(main.get_by_role("heading", name="Logs")).to_be_visible()
    expect(main.locator("pre.log").first).to_contain_text(PROGRAM_LOG)
    with page.expect_download() as download:
        main.get_by_role("link", name="Download the submitted file").click()
    path = download.value.path()
    assert Path(path).read_bytes() == program.read_bytes()
    assert_page_accessible(page, axe_source)
    # On a phone too: the scores and logs scroll inside their boxes, never the page.
    desktop = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the judge's review page scrolls sideways on a phone: {width} px"
    assert_page_accessible(page, axe_source)
    if desktop:
        page.set_viewport_size(desktop)


def join_team(
    page: Page, stack: Stack, who: StaffMember, slug: str, team: str, captain: Page
) -> None:
    """The judge joins the team with the captain's invitation code."""
    code = invite_code(captain, stack, slug)
    log_in(page, stack.base_url, who.email, who.password, who.name)
    page.goto(f"{stack.base_url}/challenges/{slug}/team")
    page.get_by_label("Invitation code").fill(code)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("main")).to_contain_text(team)
