"""Who may call each organiser route, from one table: a route without a row fails the test."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from app.accounts.models import Role
from tests.app.accounts.helpers import APP_URL, csrf_from
from tests.app.organisers.org_helpers import queued_submission
from tests.app.web.web_helpers import Person, challenge, person, team_for

ROLES = ("anonymous", "participant", "member", "judge", "organiser", "admin")
ORGANISERS_ONLY = {
    "anonymous": "login",
    "participant": "forbidden",
    "member": "forbidden",
    "judge": "forbidden",
    "organiser": "allowed",
    "admin": "allowed",
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # a route's path template; {slug} and {phase} are filled in below
    who: dict[str, str]
    data: dict[str, str] | None = None
    upload: bool = False


TABLE = [
    Row("GET", "/organise", ORGANISERS_ONLY),
    Row("POST", "/organise/upload", ORGANISERS_ONLY, upload=True),
    Row("GET", "/organise/{slug}", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/preview", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/publish", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/unpublish", ORGANISERS_ONLY),
    Row(
        "POST",
        "/organise/{slug}/phases/{phase}",
        ORGANISERS_ONLY,
        data={"start": "2026-01-01T00:00", "end": "2030-01-01T00:00"},
    ),
    Row("GET", "/organise/{slug}/audit", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/teams", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/teams/{team_id}/approve", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/teams/{team_id}/disqualify", ORGANISERS_ONLY, {"reason": "r"}),
    Row("POST", "/organise/{slug}/teams/{team_id}/reinstate", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/submissions/{submission_id}/cancel", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/freeze", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/unfreeze", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/reveal", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/hide-private", ORGANISERS_ONLY),
    Row("GET", "/organise/dashboard", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/export/leaderboard.csv", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/export/leaderboard.json", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/export/submissions.csv", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/export/submissions.json", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/export/submissions.zip", ORGANISERS_ONLY),
    # judges
    Row("GET", "/organise/{slug}/judges", ORGANISERS_ONLY),
    Row("POST", "/organise/{slug}/judges", ORGANISERS_ONLY, {"email": "judge@example.org"}),
    Row("POST", "/organise/{slug}/judges/remove", ORGANISERS_ONLY, {"email": "judge@example.org"}),
    Row("GET", "/organise/{slug}/ranking", ORGANISERS_ONLY),
    Row("GET", "/organise/{slug}/reviews.csv", ORGANISERS_ONLY),
    Row("GET", "/judge", {**ORGANISERS_ONLY, "judge": "allowed"}),
    # the test challenge has no judging section and nobody judges it: staff get 404
    *(
        Row(
            method,
            path,
            {**ORGANISERS_ONLY, "judge": "missing", "organiser": "missing", "admin": "missing"},
        )
        for method, path in (
            ("GET", "/judge/{slug}"),
            ("GET", "/judge/{slug}/teams/{team_id}"),
            ("POST", "/judge/{slug}/teams/{team_id}"),
            ("GET", "/judge/{slug}/teams/{team_id}/file"),
        )
    ),
]


def _routes(site: TestClient) -> set[tuple[str, str]]:
    """Read from the OpenAPI schema, which lists every route however routers are nested."""
    paths = site.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(("/organise", "/judge"))
        for method in operations
    }


def _call(
    site: TestClient, caller: Person | None, row: Row, ids: dict[str, int]
) -> tuple[int, str]:
    browser = caller.client if caller is not None else TestClient(site.app, base_url=APP_URL)
    path = row.path.format(slug="sea-temp", phase="development", **ids)
    if row.method == "GET":
        response = browser.get(path, follow_redirects=False)
    else:
        token = csrf_from(browser.get("/account" if caller else "/login").text)
        files = {"bundle": ("empty.zip", b"", "application/zip")} if row.upload else None
        response = browser.post(
            path,
            data={**(row.data or {}), "csrf_token": token},
            files=files,
            follow_redirects=False,
        )
    return response.status_code, response.headers.get("location", "")


def _outcome(status: int, location: str) -> str:
    if status == 303 and location.startswith("/login"):
        return "login"
    if status == 403:
        return "forbidden"
    assert status < 500, f"server error {status}"
    return "allowed" if status != 404 else "missing"


def test_every_route_has_a_row_and_each_role_gets_what_the_row_says(site: TestClient) -> None:
    listed = {(row.method, row.path) for row in TABLE}
    assert _routes(site) == listed, "every organiser/judge route needs exactly one row in TABLE"

    cid, _pid = challenge(site)
    people: dict[str, Person | None] = {
        "anonymous": None,
        "participant": person(site, "part@example.org", "Part"),
        "member": person(site, "member@example.org", "Member"),
        "judge": person(site, "judge@example.org", "Judge", Role.judge),
        "organiser": person(site, "org@example.org", "Org", Role.organiser),
        "admin": person(site, "admin@example.org", "Admin", Role.admin),
    }
    member = people["member"]
    assert member is not None
    team_id = team_for(site, cid, member, "Delfini")
    ids = {"team_id": team_id, "submission_id": queued_submission(site, team_id, member.user_id)}
    for row in TABLE:
        assert set(row.who) == set(ROLES)
        for role in ROLES:
            got = _outcome(*_call(site, people[role], row, ids))
            assert got == row.who[role], f"{row.method} {row.path} as {role}: {got}"
