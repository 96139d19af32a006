"""An event as people meet it in the browser: its organiser publishes it (asking first), a
participant registers with consents and lists
themselves on the teammates board, another finds them there, the event's organiser sees both
registrations and publishes the winners page (asking first), and the public reads it.

The event is loaded for this test with dates around today (the demo event's own dates would
close its registration one day); its organiser is named in its event.yaml by e-mail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from e2e_flows import (
    E2E_REDIS_DB,
    MAREA,
    ROOT,
    assert_fits,
    assert_page_accessible,
    create_staff,
    log_in,
    new_context,
    new_participant,
    sign_up,
)
from e2e_stack import Stack
from playwright.sync_api import Browser, expect

from tests.redis_urls import redis_url


def _event_folder(tmp: Path, slug: str, organiser: str) -> Path:
    folder = tmp / slug
    shutil.copytree(ROOT / "challenges" / "event", folder)
    text = (folder / "event.yaml").read_text(encoding="utf-8")
    now = datetime.now(UTC).replace(microsecond=0)
    dates = {"registration_opens": -2, "registration_closes": 10, "hacking_starts": -1,
             "hacking_ends": 20, "results": 21}  # fmt: skip
    for key, days in dates.items():
        text = re.sub(
            rf"  {key}: \S+", f"  {key}: {(now + timedelta(days=days)).isoformat()}", text
        )
    text = text.replace("slug: hackathon-del-mare", f"slug: {slug}", 1)
    text = text.replace("organisers: [organizzazione@marea.example]", f"organisers: [{organiser}]")
    # its tracks keep no challenge: the catalog's stay in the demo event for the other tests
    text = re.sub(r"    challenges: \[[^\]]*\]", "    challenges: []", text)
    text = re.sub(r"  - challenge: sea-surface-temperature\n(    .*\n)+", "", text)
    (folder / "event.yaml").write_text(text, encoding="utf-8")
    return folder


def _load(stack: Stack, folder: Path) -> None:
    env = {**os.environ, "MAREA_DATA_DIR": str(stack.data_dir),
           "MAREA_REDIS_URL": redis_url(E2E_REDIS_DB)}  # fmt: skip
    env.pop("MAREA_DATABASE_URL", None)
    done = subprocess.run([str(MAREA), "event", "load", str(folder)], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, f"`marea event load` failed:\n{done.stdout}{done.stderr}"


def test_register_find_teammates_and_read_the_winners(
    browser: Browser, stack: Stack, axe_source: str, tmp_path: Path
) -> None:
    slug = f"e2e-event-{uuid.uuid4().hex[:6]}"
    organiser = create_staff(stack.data_dir, "organiser", "Orsola")
    _load(stack, _event_folder(tmp_path, slug, organiser.email))
    base = stack.base_url
    event_url = f"{base}/events/{slug}"

    staff = new_context(browser).new_page()
    log_in(staff, base, organiser.email, organiser.password, organiser.name)
    staff.goto(f"{base}/organise/events")
    row = staff.locator(f"#event-{slug}")
    expect(row).to_contain_text("draft")
    row.get_by_text("Publish…").click()
    expect(row).to_contain_text("Everyone will see the event's page")
    row.get_by_role("button", name="Publish", exact=True).click()
    expect(staff.locator("main")).to_contain_text("Event published: everyone sees it.")
    assert_page_accessible(staff, axe_source)

    ada = new_participant("Ada")
    first = new_context(browser)
    page = first.new_page()
    sign_up(page, base, ada)
    page.goto(event_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hackathon of the sea")
    assert_page_accessible(page, axe_source)
    page.get_by_role("link", name="Register", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/events/{slug}/register$"))
    page.get_by_label("Student").check()
    page.get_by_label("Programming").check()
    page.get_by_label("I have read and accept the event's code of conduct.").check()
    page.get_by_label("I agree to my data being processed to organise the event.").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("main")).to_contain_text("You are registered.")
    expect(page.locator(".qr svg")).to_be_visible()  # the check-in code
    assert_page_accessible(page, axe_source)
    page.get_by_role("link", name="Looking for a team").click()
    page.get_by_label("List me on this board").check()
    page.get_by_label("A line about you and the team you look for").fill("Data person, loves boats")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Saved: you are now on the board.")

    bruno = new_participant("Bruno")
    second = new_context(browser)
    other = second.new_page()
    other.set_viewport_size({"width": 390, "height": 844})
    sign_up(other, base, bruno)
    other.goto(f"{event_url}/register")
    other.get_by_label("Citizen").check()
    other.get_by_label("I have read and accept the event's code of conduct.").check()
    other.get_by_label("I agree to my data being processed to organise the event.").check()
    other.get_by_role("button", name="Register").click()
    expect(other.locator("main")).to_contain_text("You are registered.")
    other.goto(f"{event_url}/teammates")
    card = other.locator("li.card").filter(has_text="Data person, loves boats")
    expect(card).to_contain_text(ada.email)
    expect(card).to_contain_text("Student")
    assert_fits(other, "phone")
    assert_page_accessible(other, axe_source)

    staff.goto(f"{event_url}/registrations")
    expect(staff.locator("main")).to_contain_text(ada.email)
    expect(staff.locator("main")).to_contain_text(bruno.email)
    staff.goto(f"{event_url}/winners")
    expect(staff.locator("main")).to_contain_text("Preview: only the organisers see this page")
    staff.get_by_role("button", name="Publish the results…").click()
    expect(staff.locator("main")).to_contain_text("The winners page becomes public")
    staff.get_by_role("button", name="Yes, publish the results").click()
    expect(staff.locator("main")).to_contain_text("Results published.")

    public = new_context(browser).new_page()
    public.goto(event_url)
    public.get_by_role("link", name="Winners").click()
    expect(public).to_have_url(re.compile(rf"/events/{slug}/winners$"))
    expect(public.get_by_role("heading", level=1)).to_have_text("Winners")
    assert_page_accessible(public, axe_source)
    for context in (first, second, staff.context, public.context):
        context.close()
