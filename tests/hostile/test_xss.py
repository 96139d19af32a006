"""Hostile names, descriptions, links and file names, rendered everywhere they appear.

One site is filled with hostile text from every kind of user: display names, a team name,
a submission's description, link and file name, an id echoed back in a failure message, a
judge's comment. Then every page each role can reach is rendered and parsed: no markup from
that text may reach the HTML, no `javascript:` link may be rendered, the JSON and the live
stream carry it as data, and the CSV exports carry it as text no spreadsheet will run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.web.stream_limit import is_stream
from tests.app.accounts.helpers import APP_URL, PASSWORD, csrf_from, form_token
from tests.app.web.web_helpers import Person
from tests.hostile.hostile_world import SLUG, Names, World, fill, open_world, page_routes
from tests.hostile.html_scan import links_of, page_problems

PARTICIPANT = 'Ada xss-user <script>alert("u")</script>" onmouseover="alert(1)'
ORGANISER = "Olga xss-org <img src=x onerror=alert('o')>"
JUDGE = "=cmd|'-C calc'!A0 xss-judge <svg onload=alert('j')>"
TEAM = "Xss-team' onfocus 'alert.1"  # quotes are allowed in team names, = and < are not
DESCRIPTION = (
    "xss-desc </textarea><script>alert('d')</script>"
    '<a href="javascript:alert(1)">click</a> \u202egnp.exe'
)
LINK = "https://example.org/xss-link?q=\"><script>alert('l')</script>"
FILENAME = "=cmd|'-C calc'!A0 xss-file<img src=x onerror=alert(1)> città 🌊 \u202egnp.csv"
BAD_ID = "<img src=x onerror=alert('xss-id')>"
COMMENT = "+SUM(1,2) xss-comment </textarea><script>alert('c')</script>"
MARKDOWN = """# xss-md

<script>alert('md')</script> <svg><script>alert(2)</script></svg>
[click](javascript:alert(1)) [shout](JAVASCRIPT:alert(1)) [tab](java\tscript:alert(1))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<img src=x onerror=alert(1)> ![x](javascript:alert(1)) <a href="#" onclick="alert(1)">x</a>
<iframe src="https://example.org"></iframe> <object data="x.swf"></object>
[fine](https://example.org/xss-md-link)
"""
PREDICTIONS = ("id,wave_height\n" + "".join(f"{i},1.0\n" for i in range(41, 61))).encode()

# Where each hostile text must show up (escaped), so a page that stopped rendering it would
# not pass by accident: (who looks, path template, marker).
SHOWN = [
    ("participant", "/challenges/{slug}/team", "xss-user"),
    ("participant", "/challenges/{slug}/team", "Xss-team"),
    ("participant", "/account", "xss-user"),
    ("participant", "/challenges/{slug}/leaderboard", "Xss-team"),
    ("anonymous", "/challenges/{slug}/leaderboard", "Xss-team"),
    ("participant", "/submissions/{submission_id}", "xss-desc"),
    ("participant", "/submissions/{submission_id}", "xss-link"),
    ("participant", "/submissions/{submission_id}", "xss-file"),
    ("participant", "/submissions/{failed_id}", "xss-id"),
    ("participant", "/submissions/{failed_id}/result", "xss-id"),
    ("participant", "/challenges/{slug}/submissions", "xss-file"),
    ("organiser", "/organise/{slug}/teams", "Xss-team"),
    ("organiser", "/organise/{slug}/judges", "xss-judge"),
    ("organiser", "/organise/{slug}/ranking", "Xss-team"),
    ("organiser", "/organise", "xss-org"),
    ("anonymous", "/challenges/{slug}", "xss-md"),
    ("organiser", "/organise/{slug}/preview", "xss-md"),
    ("judge", "/judge/{slug}", "Xss-team"),
    ("judge", "/judge/{slug}/teams/{team_id}", "xss-desc"),
    ("judge", "/judge/{slug}/teams/{team_id}", "xss-link"),
    ("judge", "/judge/{slug}/teams/{team_id}", "xss-file"),
    ("judge", "/judge/{slug}/teams/{team_id}", "xss-comment"),
    ("judge", "/judge/{slug}/teams/{team_id}", "xss-user"),
    ("judge", "/judge/{slug}/ranking", "Xss-team"),
]
ROLES = ("anonymous", "participant", "organiser", "judge")


@dataclass
class Hostile:
    world: World
    values: dict[str, str]  # path parameters
    browsers: dict[str, TestClient]

    def get(self, role: str, template: str) -> Any:
        return self.browsers[role].get(fill(template, self.values), follow_redirects=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, runner_image: str) -> Iterator[Hostile]:
    names = Names(participant=PARTICIPANT, organiser=ORGANISER, judge=JUDGE, team=TEAM)
    root = tmp_path_factory.mktemp("xss")
    with open_world(root, names, runner_image=runner_image, markdown=MARKDOWN) as world:
        good = world.submit(FILENAME, PREDICTIONS, description=DESCRIPTION, link=LINK)
        assert good.status_code == 201, good.text
        bad = world.submit("p.csv", f"id,wave_height\n{BAD_ID},1\n".encode())
        assert bad.status_code == 201, bad.text
        world.judge_queued()
        assert world.submission(good.json()["id"])["status"] == "scored"
        values = {
            "slug": SLUG,
            "submission_id": str(good.json()["id"]),
            "failed_id": str(bad.json()["id"]),
            "team_id": str(world.team_id),
            "phase": "development",
            "name": "nope",
            "path": "data/train.csv",
            "token": _invite_token(world),
        }
        _review(world, values)
        browsers = {
            "anonymous": TestClient(world.client.app, base_url=APP_URL),
            "participant": world.participant.client,
            "organiser": world.organiser.client,
            "judge": world.judge.client,
        }
        yield Hostile(world, values, browsers)


def _invite_token(world: World) -> str:
    team = world.client.get(f"/api/v1/challenges/{SLUG}/team", headers=world.participant.bearer())
    assert team.status_code == 200, team.text
    link: str = team.json()["invite_link"]
    return link.rstrip("/").rsplit("/", 1)[-1]


def _review(world: World, values: dict[str, str]) -> None:
    path = fill("/judge/{slug}/teams/{team_id}", values)
    token = csrf_from(world.judge.client.get(path).text)
    saved = world.judge.client.post(
        path,
        data={"rating_innovation": "4", "rating_impact": "3", "comment": COMMENT,
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text


def _pages(hostile: Hostile, role: str) -> Iterator[tuple[str, Any]]:
    for method, template in page_routes(hostile.world.client):
        if method != "GET" or template.startswith("/login/oidc"):
            continue  # OIDC routes redirect to a provider this site does not have
        if is_stream(template):
            continue  # a live stream never ends; its frames are JSON, tested by each feature
        yield template, hostile.get(role, template)


@pytest.mark.docker
@pytest.mark.parametrize("role", ROLES)
def test_no_page_lets_hostile_text_become_markup(hostile: Hostile, role: str) -> None:
    rendered = 0
    problems: dict[str, list[str]] = {}
    for template, response in _pages(hostile, role):
        assert response.status_code < 500, f"{template} as {role}: {response.status_code}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        rendered += 1
        found = page_problems(response.text)
        if found:
            problems[template] = found
        for href in links_of(response.text):
            assert "xss-link" not in href or href.startswith("https://example.org/xss-link"), href
    assert problems == {}, f"as {role}"
    assert rendered >= 5, f"only {rendered} HTML pages rendered as {role}"


@pytest.mark.docker
@pytest.mark.parametrize(("role", "template", "marker"), SHOWN)
def test_hostile_text_is_shown_escaped_where_it_belongs(
    hostile: Hostile, role: str, template: str, marker: str
) -> None:
    response = hostile.get(role, template)
    assert response.status_code == 200, response.text[:500]
    assert marker in response.text, f"{marker} is not on {template}"
    assert page_problems(response.text) == []
    assert "\u202e" not in response.text, "a text-direction override reached the page"


@pytest.mark.docker
def test_the_link_is_rendered_only_as_the_https_link_it_is(hostile: Hostile) -> None:
    for role, template in (
        ("participant", "/submissions/{submission_id}"),
        ("judge", "/judge/{slug}/teams/{team_id}"),
    ):
        html = hostile.get(role, template).text
        links = [href for href in links_of(html) if "xss-link" in href]
        assert links == [LINK], (template, links)
        assert not any(href.lower().startswith("javascript:") for href in links_of(html))


@pytest.mark.docker
def test_json_carries_hostile_text_as_data(hostile: Hostile) -> None:
    world = hostile.world
    board = world.client.get(f"/api/v1/challenges/{SLUG}/leaderboard")
    assert board.headers["content-type"].startswith("application/json")
    assert board.headers["x-content-type-options"] == "nosniff"
    assert [row["team"]["name"] for row in board.json()["rows"]] == [TEAM]
    team = world.client.get(f"/api/v1/challenges/{SLUG}/team", headers=world.participant.bearer())
    assert [m["name"] for m in team.json()["members"]] == [PARTICIPANT]
    detail = world.submission(int(hostile.values["submission_id"]))
    assert detail["link"] == LINK
    assert detail["description"] == DESCRIPTION.replace("\u202e", ""), "direction overrides go"
    assert detail["filename"] == FILENAME.replace("\u202e", "")


@pytest.mark.docker
def test_the_live_stream_carries_hostile_text_as_one_json_event(hostile: Hostile) -> None:
    world = hostile.world
    url = f"/api/v1/submissions/{hostile.values['failed_id']}/events"
    with world.client.stream("GET", url, headers=world.participant.bearer()) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in stream.iter_lines() if line]
    assert lines[0] == "retry: 2000"
    assert lines[1:] == ["event: status", lines[2]], lines
    assert lines[2].startswith("data: ")
    event = json.loads(lines[2].removeprefix("data: "))
    assert event["status"] == "failed" and BAD_ID in event["message"]


def _csv(hostile: Hostile, role: str, template: str) -> list[list[str]]:
    response = hostile.get(role, template)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(response.text)))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.docker
@pytest.mark.parametrize(
    ("template", "neutralised"),
    [
        ("/organise/{slug}/export/submissions.csv", "'" + FILENAME.replace("\u202e", "")),
        ("/organise/{slug}/reviews.csv", "'" + JUDGE),
        ("/organise/{slug}/reviews.csv", "'" + COMMENT),
        ("/organise/{slug}/export/leaderboard.csv", TEAM),
    ],
)
def test_csv_exports_hold_no_formula(hostile: Hostile, template: str, neutralised: str) -> None:
    rows = _csv(hostile, "organiser", template)
    cells = [cell for row in rows for cell in row]
    assert neutralised in cells, cells
    formulas = [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
    assert formulas == []


@pytest.mark.docker
def test_the_submitted_file_downloads_under_a_safe_name(hostile: Hostile) -> None:
    response = hostile.get("judge", "/judge/{slug}/teams/{team_id}/file")
    assert response.status_code == 200
    assert response.content == PREDICTIONS
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    fallback = disposition.split('filename="', 1)[1].split('";', 1)[0]
    assert fallback.isascii() and '"' not in fallback and "\u202e" not in disposition
    assert "filename*=UTF-8''" in disposition and "citt%C3%A0%20%F0%9F%8C%8A" in disposition


# --- refused outright ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("names")) as world:
        yield world


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", 'Delfini" onmouseover="x', "Delfini\u202enip", "=cmd|x"],
    ids=["script", "double-quote", "rtl-override", "formula"],
)
def test_team_names_that_could_be_markup_or_spoofing_are_refused(site: World, name: str) -> None:
    other: Person = site.organiser  # in no team of the challenge yet
    response = site.client.post(
        f"/api/v1/challenges/{SLUG}/teams", json={"name": name}, headers=other.bearer()
    )
    assert response.status_code == 422, response.text
    assert "letters, digits, spaces" in response.json()["error"]["message"]


@pytest.mark.parametrize("name", ["Eve\u202egnp.exe", "Eve\u2066x\u2069", "Eve\x07bell"])
def test_display_names_with_direction_overrides_or_controls_are_refused(
    site: World, name: str
) -> None:
    browser = TestClient(site.client.app, base_url=APP_URL)
    token = form_token(browser, "/signup")
    response = browser.post(
        "/signup?lang=en",
        data={"name": name, "email": "eve@example.org", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code in (400, 422), response.status_code
    assert "text-direction overrides" in response.text
