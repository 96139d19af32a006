"""A stranger's wrong passwords slow the stranger, never lock the owner out (issue 11, point 8).

Each row of the table: where the stranger guesses from, where the owner then logs in
with the right password, and what the owner gets: in at once, in after a pause no longer
than `login_throttle_max_s` (the account is under attack from many addresses, and the
owner is on a browser it has never logged in from), or refused (the owner shares the
stranger's address and has no known-device cookie: nothing tells the two apart). Every
row also checks that the stranger is still refused with 429 and Retry-After. Through the
real site on SQLite and PostgreSQL, with Redis counting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL, PASSWORD, browser, form_token, log_in, sign_up

EMAIL = "ada@example.org"
HOME = "203.0.113.10"  # the owner's usual address
VENUE = "198.51.100.20"  # a shared address (the hackathon's wifi), where a stranger sits too
THROTTLE_MAX_S = 2


@pytest.fixture
def guarded(both_settings: Settings, redis_15: redis.Redis) -> Iterator[TestClient]:
    both_settings.login_throttle_max_s = THROTTLE_MAX_S
    app = create_app(both_settings)
    with TestClient(app, base_url=APP_URL) as client:
        yield client
    app.state.engine.dispose()


def attempt(client: TestClient, password: str) -> tuple[int, int | None]:
    """(status, Retry-After) of one login attempt for the owner's account."""
    token = form_token(client)
    response = client.post(
        "/login?lang=en",
        data={"email": EMAIL, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    retry = response.headers.get("retry-after")
    if response.status_code == 429:
        assert retry is not None and "Too many login attempts" in response.text
    return response.status_code, int(retry) if retry else None


@dataclass(frozen=True)
class Attack:
    name: str
    stranger_addresses: tuple[str, ...]  # one wrong password from each in turn, five in all
    owner_address: str
    owner_known_device: bool  # the owner's browser logged in to the account before
    owner_gets: str  # "in", "in after a pause", "refused"


SPREAD = tuple(f"192.0.2.{i}" for i in range(1, 9))

# fmt: off
ATTACKS = [
    Attack("stranger elsewhere, owner at home on their laptop",       (VENUE,), HOME, True, "in"),
    Attack("stranger elsewhere, owner at home on a new browser",      (VENUE,), HOME, False,
           "in after a pause"),
    Attack("stranger on the venue wifi, owner there on their laptop", (VENUE,), VENUE, True, "in"),
    Attack("stranger on the venue wifi, owner there on a borrowed browser", (VENUE,), VENUE, False,
           "refused"),
    Attack("many addresses, owner on their laptop",                   SPREAD, VENUE, True, "in"),
    Attack("many addresses, owner on a new browser",                  SPREAD, HOME, False,
           "in after a pause"),
]
# fmt: on


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_the_owner_gets_in_and_the_stranger_is_slowed(
    guarded: TestClient, both_settings: Settings, attack: Attack
) -> None:
    laptop = browser(guarded, attack.owner_address)
    sign_up(laptop, EMAIL)  # the laptop is now a known device of the account
    laptop.post("/logout", data={"csrf_token": form_token(laptop, "/account")})
    limit = both_settings.login_failures_per_email

    if len(attack.stranger_addresses) == 1:
        stranger = browser(guarded, attack.stranger_addresses[0])
        answers = [attempt(stranger, "wrong password")[0] for _ in range(limit)]
        assert answers == [401] * (limit - 1) + [429]  # the failure that reaches the limit says so
        # From there the stranger is refused, even with the right password.
        status, retry = attempt(stranger, PASSWORD)
        assert status == 429 and retry is not None and retry > THROTTLE_MAX_S
        assert retry <= both_settings.login_window_s
    else:
        # One guess per address, waiting out each pause as a patient guesser would: past the
        # limit every guess is answered 429 with a short Retry-After, so guesses are slowed.
        answers = []
        for i, ip in enumerate(attack.stranger_addresses):
            status, retry = attempt(browser(guarded, ip), "wrong password")
            answers.append(status)
            if status == 429:
                assert retry is not None and 0 < retry <= THROTTLE_MAX_S
                if i < len(attack.stranger_addresses) - 1:
                    time.sleep(retry)
        assert answers[: limit - 1] == [401] * (limit - 1) and answers[limit - 1 :].count(429) >= 3
        # A guess from yet another address right after the last one is paused too.
        status, retry = attempt(browser(guarded, "192.0.2.200"), PASSWORD)
        assert status == 429 and retry is not None and 0 < retry <= THROTTLE_MAX_S

    owner = laptop if attack.owner_known_device else browser(guarded, attack.owner_address)
    status, retry = attempt(owner, PASSWORD)
    if attack.owner_gets == "in":
        assert status == 303
    elif attack.owner_gets == "in after a pause":
        # Slowed, never locked out: a pause no longer than the throttle's longest, then in.
        if status == 429:
            assert retry is not None and 0 < retry <= THROTTLE_MAX_S
            time.sleep(retry)
            status, _ = attempt(owner, PASSWORD)
        assert status == 303
    else:
        assert status == 429 and retry is not None and retry > THROTTLE_MAX_S
    logged_in = owner.get("/api/v1/me").status_code == 200
    assert logged_in == (attack.owner_gets != "refused")


def test_a_known_device_has_its_own_limit(guarded: TestClient, both_settings: Settings) -> None:
    """The device cookie is no credential: wrong passwords with it are limited like any."""
    laptop = browser(guarded, HOME)
    sign_up(laptop, EMAIL)
    laptop.post("/logout", data={"csrf_token": form_token(laptop, "/account")})
    limit = both_settings.login_failures_per_email
    statuses = [attempt(laptop, "wrong password")[0] for _ in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]
    assert attempt(laptop, PASSWORD)[0] == 429
    # Its failures were its own: the owner on another browser is not slowed by them.
    assert log_in(browser(guarded, "203.0.113.99"), EMAIL) == 303


def test_a_forged_or_foreign_device_cookie_is_no_exemption(guarded: TestClient) -> None:
    laptop = browser(guarded, HOME)
    sign_up(laptop, EMAIL)
    bea = browser(guarded, VENUE)
    sign_up(bea, "bea@example.org")  # bea's browser is known to bea's account, not to ada's
    forged = browser(guarded, VENUE)
    forged.cookies.set("marea_device", "eyJmb3JnZWQiOnRydWV9.forged.signature")
    for stranger in (bea, forged):
        stranger.cookies.delete("marea_session")
    answers = [attempt(bea, "wrong password")[0] for _ in range(5)]
    assert answers[-1] == 429
    # The per-(account, address) limit covers every browser at the venue without ada's cookie.
    assert attempt(forged, PASSWORD)[0] == 429
