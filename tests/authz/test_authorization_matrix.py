"""Every route of the site, every method, called by every role; the table says what each gets.

The routes come from the app itself, so a route added without a row in
tests/authz/authz_table.py fails `test_every_route_has_exactly_one_row`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from starlette.routing import Mount

from tests.app.accounts.helpers import APP_URL
from tests.authz.authz_table import EXEMPT_MOUNTS, TABLE, Row
from tests.authz.authz_world import (
    INVITE,
    PRIVATE_SHOWN,
    ROLES,
    SECRET,
    STAFF,
    STAFF_ONLY,
    Cast,
    World,
    build_world,
    snapshot,
)

PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")
CSRF_REFUSALS = ("CSRF protection", "This form expired")


def app_routes(app: FastAPI) -> tuple[set[tuple[str, str]], set[str]]:
    """(method, path) of every route, however routers are nested, and the mounted paths.

    Taken from the router, not the OpenAPI schema, so routes hidden from the schema
    (the pages, the docs) are included. HEAD is left out where GET is there: Starlette
    answers HEAD for those routes by running the GET endpoint.
    """
    routes: set[tuple[str, str]] = set()
    mounts: set[str] = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            mounts.add(str(context.path))
            continue
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")
        assert methods and context.path, f"a route without methods or path: {context}"
        routes.update((method, str(context.path)) for method in methods)
    return routes, mounts


def test_every_route_has_exactly_one_row(site: TestClient) -> None:
    keys = [row.key for row in TABLE]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    assert not twice, f"routes with more than one row: {twice}"
    routes, mounts = app_routes(site.app)  # type: ignore[arg-type]
    assert len(routes) > 50, "the route listing found too few routes to be right"
    without_row = sorted(routes - set(keys))
    assert not without_row, f"routes without a row in tests/authz/authz_table.py: {without_row}"
    no_route = sorted(set(keys) - routes)
    assert not no_route, f"rows naming no route of the app: {no_route}"
    assert mounts == set(EXEMPT_MOUNTS), f"mounted apps need a word in EXEMPT_MOUNTS: {mounts}"


@dataclass(frozen=True)
class Answer:
    status: int
    location: str  # relative to the site
    body: str


def _fill(template: str, values: dict[str, object]) -> str:
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def _value(raw: object, values: dict[str, object]) -> object:
    """A lone `{key}` keeps the value's type (an id stays an int in JSON)."""
    if not isinstance(raw, str):
        return raw
    whole = PLACEHOLDER.fullmatch(raw)
    return values[whole.group(1)] if whole else _fill(raw, values)


def _read_events(response: Response, blocks: int) -> str:
    """The first `blocks` Server-Sent Events blocks; the stream may go on forever."""
    lines: list[str] = []
    for line in response.iter_lines():
        lines.append(line)
        if line == "":
            blocks -= 1
            if blocks == 0:
                break
    return "\n".join(lines)


def _call(cast: Cast, row: Row, role: str, path: str, values: dict[str, object]) -> Answer:
    who = cast.people[role]
    browser, csrf = cast.browser(role), cast.csrf[role]
    if row.isolated:  # the call logs in or out: the shared browser's session must live on
        browser, csrf = cast.own_browser(role)
    headers: dict[str, str] = {}
    if who is not None and (path.startswith("/api/") or row.bearer):
        headers["Authorization"] = f"Bearer {who.token}"
    elif row.method != "GET":
        headers["X-CSRF-Token"] = csrf  # a real token: refusals are not CSRF's
    sent: dict[str, Any] = {}
    if row.form is not None:
        sent["data"] = {k: str(_value(v, values)) for k, v in row.form.items()}
    if row.json is not None:
        sent["json"] = {k: _value(v, values) for k, v in row.json.items()}
    if row.upload is not None:
        name, filename, content = row.upload
        sent["files"] = {name: (filename, content, "application/octet-stream")}
    if row.stream:
        # Not followed: a page's stream sends an anonymous reader to the login, like a page.
        with browser.stream(
            row.method, path, headers=headers, follow_redirects=False, **sent
        ) as response:
            ok = response.status_code == 200
            body = _read_events(response, row.stream) if ok else response.read().decode()
            location = response.headers.get("location", "").removeprefix(APP_URL)
            return Answer(response.status_code, location, body)
    response = browser.request(row.method, path, headers=headers, follow_redirects=False, **sent)
    location = response.headers.get("location", "").removeprefix(APP_URL)
    return Answer(response.status_code, location, response.content.decode("utf-8", "replace"))


def _outcome(row: Row, path: str, answer: Answer) -> str:
    status, api = answer.status, path.startswith("/api/")
    if status in row.also_ok:
        return "allowed"
    if status == 401:
        return "login" if api else "401 on a page (pages redirect to the login)"
    if 300 <= status < 400 and answer.location.startswith("/login"):
        if api:
            return "a redirect to the login on the API (it answers 401)"
        wanted = "/login?" + urlencode({"next": path})
        return "login" if answer.location == wanted else f"login without next: {answer.location}"
    if status == 403 and any(words in answer.body for words in CSRF_REFUSALS):
        return "refused by the CSRF check (the row's call is wrong, not the route)"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "missing"
    if status < 400:
        return "allowed"
    if status < 500:
        return "refused"
    return f"server error {status}"


def _shows_invite(row: Row, world: World, answer: Answer) -> bool:
    """The code, or the link's token where the caller did not bring it in the path."""
    if INVITE in answer.body:
        return True
    return "{token}" not in row.path and world.invite_token in answer.body


def _check(cast: Cast, world: World, row: Row, role: str) -> list[str]:
    """Calls the row's route as `role`; what went otherwise than the row says."""
    values: dict[str, object] = {
        **world.params(),
        "email": cast.email(role),
        "judge_email": cast.email("judge"),
        "n": next(cast.counter),
    }
    values.update({param: values[source] for param, source in row.use.items()})
    path = _fill(row.path + row.query, values)
    before = snapshot(cast.site, world)
    answer = _call(cast, row, role, path, values)
    after = snapshot(cast.site, world)
    got, wanted = _outcome(row, path, answer), row.outcomes[role]
    seen = f"{answer.status} {answer.location} {answer.body[:300]!r}"
    problems: list[str] = []
    text, to = _fill(row.text, values), _fill(row.to, values)
    if got != wanted:
        problems.append(f"{role}: {wanted} expected, got {got} ({seen})")
    elif got == "allowed" and answer.status < 300 and text not in answer.body:
        problems.append(f"{role}: {text!r} not in the answer ({seen})")
    elif got == "allowed" and answer.status >= 300 and not answer.location.startswith(to):
        problems.append(f"{role}: sent to {answer.location}, not {to}")
    if (SECRET in answer.body) != (role in row.shown_to):
        verb = "missing from" if role in row.shown_to else "leaked in"
        problems.append(f"{role}: team A's private data {verb} the answer ({seen})")
    if _shows_invite(row, world, answer) != (role in row.invited):
        verb = "missing from" if role in row.invited else "leaked in"
        problems.append(f"{role}: team A's invitation code or link {verb} the answer ({seen})")
    if STAFF_ONLY in answer.body and role not in STAFF:
        problems.append(f"{role}: the organisers' logs leaked in the answer")
    if PRIVATE_SHOWN in answer.body and role not in STAFF:
        problems.append(f"{role}: the private score leaked before the reveal ({seen})")
    changed = {entry for entry in before if before[entry] != after[entry]}
    declared = {entry for entry, roles in row.changed_by().items() if role in roles}
    if changed != declared:
        problems.append(f"{role}: changed {sorted(changed)}, the row says {sorted(declared)}")
    return problems


@pytest.mark.parametrize("row", TABLE, ids=[f"{row.method} {row.path}" for row in TABLE])
def test_each_role_gets_what_the_row_says(cast: Cast, world: World, row: Row) -> None:
    problems: list[str] = []
    for role in ROLES:
        target = build_world(cast, f"fresh-{next(cast.counter)}") if row.fresh else world
        if row.fresh and row.prepare is not None:
            row.prepare(cast.site, target)
        problems += _check(cast, target, row, role)
    assert not problems, f"{row.method} {row.path}:\n" + "\n".join(problems)
