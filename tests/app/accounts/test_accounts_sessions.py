"""Sessions live on the server: every way a session should end ends it, copies of its cookie too.

The table names each event that must end sessions (issue 11, point 7: a copied cookie
stayed valid for 14 days after logout). For each, Ada is logged in on her laptop and her
phone, someone holds a copy of the laptop's cookie, the event happens, and the row says
which of the three still reach `/api/v1/me`. Run through the real site on SQLite and
PostgreSQL; the operator's events through the real `marea user` command.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import event, update
from sqlmodel import Session, select

from app.accounts.deps import OptionalUser
from app.accounts.models import User, UserSession
from app.core.db import utcnow
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import (
    IPHONE,
    PASSWORD,
    browser,
    copy_of,
    csrf_from,
    log_in,
    me_status,
    sign_up,
)

MAREA = str(Path(sys.executable).with_name("marea"))
EMAIL = "ada@example.org"


@dataclass
class Devices:
    site: TestClient
    laptop: TestClient
    phone: TestClient
    copy: TestClient  # a copy of the laptop's cookie, taken before the event


def _engine(site: TestClient) -> Any:
    return site.app.state.engine  # type: ignore[attr-defined]


def _post_form(client: TestClient, path: str) -> int:
    token = csrf_from(client.get("/account").text)
    status: int = client.post(path, data={"csrf_token": token}, follow_redirects=False).status_code
    return status


def _marea_user(site: TestClient, *args: str) -> None:
    settings: Settings = site.app.state.settings  # type: ignore[attr-defined]
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(settings.data_dir),
        "MAREA_DATABASE_URL": settings.database_url,
        "MAREA_REDIS_URL": settings.redis_url,
    }
    done = subprocess.run(
        [MAREA, "user", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def _phone_session_id(d: Devices) -> int:
    page = d.laptop.get("/account").text
    ids = re.findall(r'action="http://testserver/account/sessions/(\d+)/end"', page)
    assert len(ids) == 1, f"the laptop's page should offer to end the phone's session: {ids}"
    return int(ids[0])


def logout(d: Devices) -> None:
    assert _post_form(d.laptop, "/logout") == 303


def end_the_phone_from_the_laptop(d: Devices) -> None:
    assert _post_form(d.laptop, f"/account/sessions/{_phone_session_id(d)}/end") == 303
    assert "The session has been ended" in d.laptop.get("/account?lang=en").text


def end_this_session_from_the_list(d: Devices) -> None:
    """The laptop ends its own session through the same form: that is logging out."""
    with Session(_engine(d.site)) as db:
        own = db.exec(select(UserSession).order_by(UserSession.id)).all()  # type: ignore[arg-type]
    laptop_id = own[0].id  # the laptop logged in first
    assert _post_form(d.laptop, f"/account/sessions/{laptop_id}/end") == 303


def log_out_everywhere_else(d: Devices) -> None:
    assert _post_form(d.laptop, "/account/sessions/end-others") == 303
    # The copy of the laptop's cookie *is* the laptop's session, so it lives on: that is what
    # "everywhere else" means, and the page says so before the button.
    assert "1 other session has been ended" in d.laptop.get("/account?lang=en").text


def log_in_again_on_the_laptop(d: Devices) -> None:
    """A new login replaces the browser's session: the old cookie (and its copies) die."""
    assert log_in(d.laptop, EMAIL) == 303


def password_set_by_the_operator(d: Devices) -> None:
    _marea_user(d.site, "password", EMAIL, "--password", "another long password")


def role_changed_by_the_operator(d: Devices) -> None:
    _marea_user(d.site, "role", EMAIL, "organiser")


def deactivated_by_the_operator(d: Devices) -> None:
    _marea_user(d.site, "deactivate", EMAIL)


def all_logged_out_by_the_operator(d: Devices) -> None:
    _marea_user(d.site, "logout", EMAIL)


def the_laptops_session_expires(d: Devices) -> None:
    with Session(_engine(d.site)) as db:
        first = db.exec(select(UserSession).order_by(UserSession.id)).first()  # type: ignore[arg-type]
        assert first is not None
        db.execute(
            update(UserSession)
            .where(UserSession.id == first.id)  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()


@dataclass(frozen=True)
class Ends:
    event: Callable[[Devices], None]
    laptop: bool  # still logged in afterwards?
    copy: bool
    phone: bool


# fmt: off
ENDINGS = [
    Ends(logout,                          laptop=False, copy=False, phone=True),
    Ends(end_the_phone_from_the_laptop,   laptop=True,  copy=True,  phone=False),
    Ends(end_this_session_from_the_list,  laptop=False, copy=False, phone=True),
    Ends(log_out_everywhere_else,         laptop=True,  copy=True,  phone=False),
    Ends(log_in_again_on_the_laptop,      laptop=True,  copy=False, phone=True),
    Ends(password_set_by_the_operator,    laptop=False, copy=False, phone=False),
    Ends(role_changed_by_the_operator,    laptop=False, copy=False, phone=False),
    Ends(deactivated_by_the_operator,     laptop=False, copy=False, phone=False),
    Ends(all_logged_out_by_the_operator,  laptop=False, copy=False, phone=False),
    Ends(the_laptops_session_expires,     laptop=False, copy=False, phone=True),
]
# fmt: on


@pytest.mark.parametrize("row", ENDINGS, ids=[row.event.__name__ for row in ENDINGS])
def test_each_ending_ends_exactly_the_sessions_it_should(site: TestClient, row: Ends) -> None:
    laptop = browser(site, "203.0.113.1")
    sign_up(laptop, EMAIL, name="Ada")
    phone = browser(site, "203.0.113.2", IPHONE)
    assert log_in(phone, EMAIL) == 303
    devices = Devices(site, laptop, phone, copy_of(laptop))
    assert [me_status(c) for c in (laptop, devices.copy, phone)] == [200, 200, 200]

    row.event(devices)

    alive = {
        "laptop": me_status(laptop),
        "copy": me_status(devices.copy),
        "phone": me_status(phone),
    }
    wanted = {
        name: 200 if still else 401
        for name, still in (("laptop", row.laptop), ("copy", row.copy), ("phone", row.phone))
    }
    assert alive == wanted
    # A dead session is dead for the pages too, not only for the API.
    for name, client in (("laptop", laptop), ("copy", devices.copy), ("phone", phone)):
        page = client.get("/account", follow_redirects=False)
        assert page.status_code == (200 if wanted[name] == 200 else 303), name


def test_the_account_page_lists_sessions_by_browser(site: TestClient) -> None:
    laptop = browser(site, "203.0.113.1")
    sign_up(laptop, EMAIL, name="Ada")
    phone = browser(site, "203.0.113.2", IPHONE)
    assert log_in(phone, EMAIL) == 303
    page = laptop.get("/account?lang=en").text
    sessions = page.split('id="sessions"', 1)[1].split("</ul>", 1)[0]
    assert "Firefox 121 on Linux" in sessions and "Mobile Safari 17 on iOS" in sessions
    assert sessions.count("this device") == 1
    this_device = sessions.split("this device", 1)[0].rsplit("<li", 1)[1]
    assert "Firefox" in this_device
    assert 'aria-label="End this session on Mobile Safari 17 on iOS"' in sessions
    assert "Log out everywhere else" in page and "This browser stays logged in" in page
    # Italian too.
    assert "questo dispositivo" in laptop.get("/account?lang=it").text


def test_only_the_secret_s_hash_is_stored_and_the_cookie_holds_no_user_id(site: TestClient) -> None:
    laptop = browser(site)
    sign_up(laptop, EMAIL)
    cookie = laptop.cookies["marea_session"]
    with Session(_engine(site)) as db:
        stored = db.exec(select(UserSession)).one()
        user = db.exec(select(User)).one()
    payload = json.loads(base64.b64decode(cookie.split(".", 1)[0] + "=="))
    assert set(payload) == {"sid", "csrf"}
    assert stored.secret_hash != payload["sid"] and payload["sid"] not in stored.secret_hash
    assert stored.user_id == user.id and stored.ended_at is None
    assert stored.expires_at - stored.created_at == timedelta(
        seconds=site.app.state.settings.session_max_age_s  # type: ignore[attr-defined]
    )


def test_ending_someone_elses_session_is_a_404_and_ends_nothing(site: TestClient) -> None:
    ada = browser(site, "203.0.113.1")
    sign_up(ada, EMAIL)
    bea = browser(site, "203.0.113.2")
    sign_up(bea, "bea@example.org")
    with Session(_engine(site)) as db:
        adas = db.exec(select(UserSession).order_by(UserSession.id)).first()  # type: ignore[arg-type]
        assert adas is not None
    assert _post_form(bea, f"/account/sessions/{adas.id}/end") == 404
    assert me_status(ada) == 200


def _counting_app(settings: Settings) -> tuple[TestClient, list[str]]:
    """The site plus a probe route that only asks who is calling; every SQL statement run."""
    app = create_app(settings)
    router = APIRouter()

    @router.get("/api/v1/probe/who")
    def who(user: OptionalUser) -> dict[str, str | None]:
        return {"email": user.email if user else None}

    app.include_router(router)
    statements: list[str] = []

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    return TestClient(app, base_url="http://testserver"), statements


def test_requests_without_credentials_cost_no_query(both_settings: Settings, redis_15: Any) -> None:
    client, statements = _counting_app(both_settings)
    with client:
        statements.clear()
        assert client.get("/api/v1/probe/who").json() == {"email": None}
        assert statements == [], "no cookie, no Authorization header: no query"
        client.get("/login")  # now an anonymous cookie (a CSRF token, no session)
        statements.clear()
        assert client.get("/api/v1/probe/who").json() == {"email": None}
        assert statements == [], "an anonymous visitor's cookie: no query"

        sign_up(client, EMAIL)
        statements.clear()
        assert client.get("/api/v1/probe/who").json() == {"email": EMAIL}
        # One read (the session joined with its user); last_seen_at is fresh, so no write.
        assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT")
    client.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_sessions_are_named_in_the_cli_output(site: TestClient) -> None:
    """`marea user logout` says how many sessions it ended, so the operator knows it worked."""
    laptop = browser(site)
    sign_up(laptop, EMAIL)
    settings: Settings = site.app.state.settings  # type: ignore[attr-defined]
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(settings.data_dir),
        "MAREA_DATABASE_URL": settings.database_url,
        "MAREA_REDIS_URL": settings.redis_url,
    }
    run = [MAREA, "user", "logout", EMAIL]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "1 session ended" in done.stdout, done.stderr
    unknown = subprocess.run(
        [MAREA, "user", "logout", "nobody@example.org"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode == 1 and "no account has the address" in unknown.stderr
    assert log_in(browser(site, "203.0.113.9"), EMAIL, PASSWORD) == 303
