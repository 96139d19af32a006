"""Every GET route of the site, called by every role: no answer may be kept by a cache.

Most answers depend on who asks (a team's submissions, an organiser's view of a board, the
captain's invitation code), and a shared cache (a venue's proxy, a CDN) or the browser's
history must never hand one person's answer to another. The routes are the authorization
table's GET rows (tests/authz/authz_table.py, which lists every route of the app), so a
route added tomorrow is checked here too; refusals, redirects and errors count as answers.
"""

from __future__ import annotations

import re

import pytest

from tests.authz.authz_table import TABLE, Row
from tests.authz.authz_world import ROLES, Cast, World

PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")
GET_ROWS = [row for row in TABLE if row.method == "GET"]
NO_STORE = "private, no-store"


def _path(cast: Cast, world: World, row: Row, role: str) -> str:
    values: dict[str, object] = {
        **world.params(),
        "email": cast.email(role),
        "judge_email": cast.email("judge"),
        "n": next(cast.counter),
    }
    values.update({param: values[source] for param, source in row.use.items()})
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), row.path)


def test_the_table_has_the_get_routes() -> None:
    assert len(GET_ROWS) > 40
    assert any(row.stream for row in GET_ROWS), "the event streams are among them"


@pytest.mark.parametrize("row", GET_ROWS, ids=[row.path for row in GET_ROWS])
def test_no_get_answer_may_be_stored(cast: Cast, world: World, row: Row) -> None:
    wrong = []
    for role in ROLES:
        path = _path(cast, world, row, role)
        who = cast.people[role]
        headers = {}
        if who is not None and (path.startswith("/api/") or row.bearer):
            headers["Authorization"] = f"Bearer {who.token}"
        browser = cast.browser(role)
        with browser.stream("GET", path, headers=headers, follow_redirects=False) as answer:
            cache = answer.headers.get("cache-control")
            if answer.status_code == 200 and row.stream:
                next(answer.iter_lines())  # the stream has started; hang up
        if cache != NO_STORE:
            wrong.append(f"{role}: {answer.status_code} with Cache-Control {cache!r}")
    assert not wrong, f"GET {row.path}:\n" + "\n".join(wrong)
