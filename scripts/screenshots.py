"""Screenshots of the main pages on a desktop and a phone, into docs/screenshots (`make screenshots`).

A temporary site is started the way the browser tests start theirs (tests/e2e/conftest.py):
its own data directory and SQLite file, a private redis-server, `marea serve` and one
`marea worker`, the bundled catalog loaded. Some demo activity is made first (three teams
submit to the catalog's challenge and are scored by the real worker, so its leaderboard has
rows), then Debian's Chromium, driven by Playwright, takes each page at 1280×800 and 390×844.
No browser is ever downloaded; the site is stopped and its data removed at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from e2e_flows import (  # noqa: E402
    BASELINE,
    JUDGING_TIMEOUT_MS,
    SIZES,
    SLUG,
    create_staff,
    create_team,
    log_in,
    new_participant,
    sign_up,
    submit_file,
)
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.redis_urls import redis_url  # noqa: E402

MAREA = Path(sys.executable).parent / "marea"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REDIS_DB = 14
TEAMS = ("Aurora", "Bora", "Cirrus")
EVENT = "hackathon-del-mare"  # challenges/event
EVENT_ORGANISER = "organizzazione@marea.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_site(data_dir: Path) -> tuple[str, dict[str, str], list[subprocess.Popen[bytes]]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(data_dir),
        "MAREA_REDIS_URL": redis_url(REDIS_DB),
        "MAREA_BASE_URL": base_url,
        "MAREA_SECRET_KEY": "screenshots-secret-key-not-for-production-0123",
    }
    env.pop("MAREA_DATABASE_URL", None)
    subprocess.run(
        [str(MAREA), "challenge", "catalog", "--publish"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [str(MAREA), "event", "load", str(ROOT / "challenges" / "event"), "--publish"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    processes = []
    for argv, log in (
        ([str(MAREA), "serve", "--port", str(port)], "serve.log"),
        ([str(MAREA), "worker", "--processes", "1"], "worker.log"),
    ):
        with (data_dir / log).open("wb") as out:
            processes.append(
                subprocess.Popen(
                    argv,
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return base_url, env, processes
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(processes)
    raise SystemExit(f"the site did not become healthy; see {data_dir}/serve.log")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def shoot(page: Page, base_url: str, path: str, name: str, out: Path) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / f"{name}-{size}.png"), animations="disabled")
        print(f"  {name}-{size}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    chromium = os.environ.get("MAREA_E2E_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium is missing: bash scripts/ensure-browser.sh (never a download)")
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="marea-screenshots-"))
    base_url, _env, processes = start_site(data_dir)
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(locale="en-GB")
            context.set_default_timeout(15_000)
            page = context.new_page()
            print("==> demo activity: three teams submit and are scored")
            for label in TEAMS:
                who = new_participant(label)
                team_context = browser.new_context(locale="en-GB")
                team_page = team_context.new_page()
                sign_up(team_page, base_url, who)
                create_team(team_page, base_url, who)
                submit_file(team_page, base_url, BASELINE)
                team_page.get_by_text(re.compile("scored", re.I)).first.wait_for(
                    timeout=JUDGING_TIMEOUT_MS
                )
                if label == TEAMS[-1]:
                    submission = team_page.url.removeprefix(base_url)
                    member_page = team_page
                else:
                    team_context.close()
            print(f"==> screenshots into {args.out}")
            for path, name in (
                ("/", "home"),
                (f"/events/{EVENT}", "event"),
                (f"/events/{EVENT}/register", "register"),
                ("/challenges", "challenges"),
                (f"/challenges/{SLUG}", "challenge"),
                (f"/challenges/{SLUG}/leaderboard", "leaderboard"),
                ("/signup", "signup"),
            ):
                shoot(page, base_url, path, name, args.out)
            for path, name in (
                (f"/challenges/{SLUG}/team", "team"),
                (f"/challenges/{SLUG}/submit", "submit"),
                (submission, "submission"),
                ("/account", "account"),
            ):
                shoot(member_page, base_url, path, name, args.out)
            # The demo event's organiser (challenges/event/event.yaml) runs its challenges.
            organiser = create_staff(data_dir, "participant", "Organiser", email=EVENT_ORGANISER)
            log_in(page, base_url, organiser.email, organiser.password, organiser.name)
            shoot(page, base_url, f"/organise/{SLUG}", "organise", args.out)
            shoot(page, base_url, f"/events/{EVENT}/registrations", "registrations", args.out)
            browser.close()
    finally:
        stop(processes)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
