"""Web hardening, checked on every page the site has and every form that changes state.

- a Content-Security-Policy without inline script on every HTML response, and no inline
  script, event handler or style in any template, rendered (every page, as every role) or not;
- nosniff, frame-ancestors 'none' and X-Frame-Options on every response;
- `Cache-Control: private, no-store` on every response but the static files, which keep
  their validators (ETag) so browsers may cache them;
- HSTS only over https: an https base URL, an https request, or X-Forwarded-Proto from the
  trusted proxy in front of `marea serve`;
- cookies HttpOnly and SameSite, and Secure when the site is served over https;
- CSRF: every state-changing route refuses a browser request without the session's token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jinja2 import BaseLoader, Environment

from app.accounts.models import Role
from app.core.settings import Settings
from app.main import create_app
from app.web.security import SIGNED_LINK_PREFIXES
from app.web.stream_limit import is_stream
from tests.app.accounts.helpers import APP_URL, PASSWORD, csrf_from, form_token, sign_up
from tests.app.web.web_helpers import person
from tests.hostile.hostile_world import (
    PROJECT_ROOT,
    REDIS_DB,
    SLUG,
    World,
    fill,
    open_world,
    page_routes,
)
from tests.hostile.html_scan import page_problems
from tests.hostile.served import marea_serve
from tests.redis_urls import redis_url

TEMPLATES = PROJECT_ROOT / "app" / "web" / "templates"
ROLES = ("anonymous", "participant", "organiser", "judge", "admin")
# Templates the world below cannot reach, and why; every other one must be rendered.
NOT_RENDERED = {
    "organisers/rescore.html": "needs a rescore set (covered by the static scan)",
    "organisers/rescore_logs.html": "needs a rescore set (covered by the static scan)",
    "submissions/_waiting.html": "a submission still waiting or running (static scan when judged)",
    # Reached only through a valid link from a mail: rendered by tests/app/mail.
    "accounts/reset.html": "needs a password-reset link (covered by the static scan)",
    "accounts/verify.html": "needs a verification link (covered by the static scan)",
    "accounts/link_done.html": "needs a used link (covered by the static scan)",
    "mail/mail.html": "needs a mail in the outbox (covered by the static scan)",
    "notifications/unsubscribe.html": "needs a mailed unsubscribe link (covered by the static scan)",
    # This site has no event: the event pages are rendered by tests/app/events and
    # tests/e2e/test_event_flow.py (with axe), and scanned for inline script here.
    **{
        f"events/{name}.html": "needs an event (covered by the static scan)"
        for name in (
            "audit",
            "page",
            "register",
            "registrations",
            "results_confirm",
            "teammates",
            "winners",
            "check_in",
        )
    },
    # This site has no project track: its pages are rendered by tests/app/projects and
    # tests/app/projects_only, and scanned for inline script here.
    "leaderboard/jury.html": "needs a project-only challenge (covered by the static scan)",
    **{
        f"projects/{name}.html": "needs a project track (covered by the static scan)"
        for name in (
            "form",
            "gallery",
            "project",
            "review_judge",
            "review_organise",
            "vote",
            "vote_organise",
        )
    },
}
PREDICTIONS = ("id,wave_height\n" + "".join(f"{i},1.0\n" for i in range(41, 61))).encode()


class RecordingLoader(BaseLoader):
    """Wraps the app's template loader and remembers every template it was asked for."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner
        self.loaded: set[str] = set()

    def get_source(self, environment: Environment, template: str) -> Any:
        self.loaded.add(template)
        return self.inner.get_source(environment, template)


@dataclass
class Site:
    world: World
    values: dict[str, str]
    browsers: dict[str, TestClient]
    loader: RecordingLoader


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, runner_image: str) -> Iterator[Site]:
    """A site with a scored submission (so the judging pages have a finalist)."""
    with open_world(tmp_path_factory.mktemp("hardening"), runner_image=runner_image) as world:
        env = world.client.app.state.templates.env  # type: ignore[attr-defined]
        loader = RecordingLoader(env.loader)
        env.loader = loader
        env.cache.clear()
        made = world.submit("predictions.csv", PREDICTIONS, description="baseline")
        assert made.status_code == 201, made.text
        world.judge_queued()
        team = world.client.get(
            f"/api/v1/challenges/{SLUG}/team", headers=world.participant.bearer()
        ).json()
        values = {
            "slug": SLUG,
            "submission_id": str(made.json()["id"]),
            "team_id": str(world.team_id),
            "phase": "development",
            "name": "nope",
            "path": "data/train.csv",
            "token": team["invite_link"].rstrip("/").rsplit("/", 1)[-1],
        }
        browsers = {
            "anonymous": TestClient(world.client.app, base_url=APP_URL),
            "participant": world.participant.client,
            "organiser": world.organiser.client,
            "judge": world.judge.client,
            "admin": person(world.client, "adele@example.org", "Adele", Role.admin).client,
        }
        yield Site(world, values, browsers, loader)


def _get_pages(site: Site, role: str) -> Iterator[tuple[str, httpx.Response]]:
    """Every page route once; live event streams never end, so they are left to
    tests/hostile/test_slow_clients.py and each feature's stream tests."""
    for method, template in page_routes(site.world.client):
        path = fill(template, site.values)
        if method == "GET" and not template.startswith("/login/oidc") and not is_stream(path):
            yield template, site.browsers[role].get(path)


def _csp(headers: httpx.Headers) -> dict[str, list[str]]:
    policy = headers.get("content-security-policy", "")
    directives = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def _assert_csp(headers: httpx.Headers, where: str) -> None:
    csp = _csp(headers)
    assert csp, f"{where} has no Content-Security-Policy"
    script = csp.get("script-src", csp.get("default-src"))
    assert script == ["'self'"], f"{where}: script-src {script}"
    assert csp.get("object-src") == ["'none'"] and csp.get("base-uri") == ["'self'"], where
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert "'unsafe-inline'" not in csp.get("style-src", csp["default-src"]), where


def _assert_common_headers(headers: httpx.Headers, where: str) -> None:
    """The headers of every answer but the static files (which may be cached)."""
    assert headers.get("cache-control") == "private, no-store", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert "strict-transport-security" not in headers, f"{where}: HSTS over plain http"


@pytest.mark.docker
@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_the_policy_and_no_inline_script(site: Site, role: str) -> None:
    html_pages = 0
    for template, response in _get_pages(site, role):
        where = f"GET {template} as {role} ({response.status_code})"
        assert response.status_code < 500, where
        _assert_common_headers(response.headers, where)
        if "text/html" in response.headers.get("content-type", ""):
            html_pages += 1
            _assert_csp(response.headers, where)
            assert page_problems(response.text) == [], where
    assert html_pages >= 10, f"only {html_pages} pages rendered as {role}"


@pytest.mark.docker
def test_every_template_was_rendered_and_none_has_inline_script(site: Site) -> None:
    for role in ROLES:
        list(_get_pages(site, role))
    site.browsers["anonymous"].get("/no/such/page")  # error.html
    _admin_confirmation(site)
    _rate_limited_login(site)
    every = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")}
    # A listed template may be rendered or not (whether a submission is still waiting when its
    # page is read depends on the worker); every other one must have been.
    assert every - site.loader.loaded <= set(NOT_RENDERED), "templates no test rendered"
    for name in sorted(every):
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        assert _template_problems(text) == [], name


def _admin_confirmation(site: Site) -> None:
    """The first step of an admin's role change: the page that says what will happen."""
    admin = site.browsers["admin"]
    token = form_token(admin, "/admin/users/1")
    page = admin.post("/admin/users/1/role", data={"role": "judge", "csrf_token": token})
    assert page.status_code == 200 and page_problems(page.text) == [], page.text[:500]


def _rate_limited_login(site: Site) -> None:
    """Enough wrong passwords for one address that the next try gets the rate-limit page."""
    browser = TestClient(site.world.client.app, base_url=APP_URL)
    limit = site.world.settings.login_failures_per_email
    page = ""
    for _ in range(limit + 1):
        token = form_token(browser, "/login")
        page = browser.post(
            "/login",
            data={"email": "nobody@example.org", "password": "wrong", "csrf_token": token},
        ).text
    assert page_problems(page) == []


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc=\"([^\"]*)\"", re.IGNORECASE)
_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


def _template_problems(text: str) -> list[str]:
    """The same rules as html_scan, on template source (which may hold branches not rendered)."""
    problems = [f"inline script: {m.group(0)}" for m in _INLINE_SCRIPT.finditer(text)]
    problems += [
        f"script not from /static/: {m.group(1)}"
        for m in _SCRIPT_SRC.finditer(text)
        if not m.group(1).startswith("{{ url_for('static'")
    ]
    problems += [f"event handler: {m.group(0)}" for m in _HANDLER.finditer(text)]
    problems += [f"inline style: {m.group(0)}" for m in _STYLE_ATTRIBUTE.finditer(text)]
    if "javascript:" in re.sub(r"\s", "", text).lower():
        problems.append("a javascript: URL")
    return problems


def test_the_scanners_find_what_they_look_for() -> None:
    """The page and template scans must be able to fail."""
    bad = (
        '<script>alert(1)</script><script src="https://cdn.example/x.js"></script>'
        '<a href=" JaVa\tScRiPt:alert(1)">x</a><img src=x onerror=alert(1)>'
        '<p style="color:red">x</p><iframe src="/x"></iframe>'
    )
    assert len(page_problems(bad)) == 6, page_problems(bad)
    assert page_problems('<script src="/static/x.js"></script><a href="/a">a</a>') == []
    assert len(_template_problems(bad)) == 5


@pytest.mark.docker
def test_static_files_errors_and_downloads_carry_the_headers_too(site: Site) -> None:
    anonymous = site.browsers["anonymous"]
    for path in ("/no/such/page", "/healthz",
                 f"/api/v1/challenges/{SLUG}/leaderboard", "/api/v1/challenges/nope",
                 f"/challenges/{SLUG}/files/data/train.csv", f"/challenges/{SLUG}/starter-kit.zip",
                 "/api/openapi.json"):  # fmt: skip
        response = anonymous.get(path)
        _assert_common_headers(response.headers, path)
        assert response.status_code < 500, path
    for path in ("/static/marea.css", "/static/leaderboard.js"):
        response = anonymous.get(path)
        assert response.status_code == 200 and response.headers.get("etag"), path
        assert "cache-control" not in response.headers, f"{path}: static files may be cached"
        assert response.headers.get("x-content-type-options") == "nosniff", path
    error = anonymous.get("/no/such/page")
    assert error.status_code == 404 and "text/html" in error.headers["content-type"]
    _assert_csp(error.headers, "the 404 page")


def test_only_the_interactive_api_docs_go_without_the_policy(settings: Settings) -> None:
    """Swagger UI runs inline scripts on its two pages, so they are exempt; nothing else is."""
    with TestClient(create_app(settings), base_url=APP_URL) as client:
        for path in ("/api/docs", "/docs/oauth2-redirect"):
            page = client.get(path)
            assert page.status_code == 200 and "content-security-policy" not in page.headers
            assert page.headers["x-frame-options"] == "DENY", path
        _assert_csp(client.get("/api/openapi.json").headers, "/api/openapi.json")


# --- HSTS and cookies -----------------------------------------------------------------------


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _set_cookies(response: httpx.Response) -> dict[str, set[str]]:
    return {h.split("=", 1)[0]: _flags(h) for h in response.headers.get_list("set-cookie")}


def _cookie_check(settings: Settings, base_url: str) -> tuple[dict[str, set[str]], httpx.Headers]:
    settings.base_url = base_url
    with TestClient(create_app(settings), base_url=base_url) as client:
        page = client.get("/signup?lang=en")
        return _set_cookies(page), page.headers


@pytest.mark.parametrize("base_url", ["http://testserver", "https://testserver"])
def test_cookies_are_httponly_samesite_and_secure_over_https(
    settings: Settings, base_url: str
) -> None:
    cookies, headers = _cookie_check(settings, base_url)
    assert set(cookies) == {"marea_session", "lang"}, cookies
    https = base_url.startswith("https://")
    for name, flags in cookies.items():
        assert "httponly" in flags, name
        assert "samesite" in flags, name
        assert ("secure" in flags) == https, f"{name} over {base_url}: {flags}"
    assert ("strict-transport-security" in headers) == https


def test_hsts_follows_the_request_scheme_when_the_base_url_is_http(settings: Settings) -> None:
    settings.base_url = "http://testserver"
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/login").headers
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/login").headers["strict-transport-security"] == "max-age=31536000"


def test_marea_serve_trusts_x_forwarded_proto_from_its_proxy(tmp_path: Path) -> None:
    """Behind a TLS-terminating proxy on the same host, `marea serve` knows it is https."""
    env = {"MAREA_DATA_DIR": str(tmp_path / "var"), "MAREA_REDIS_URL": redis_url(REDIS_DB)}
    with marea_serve(tmp_path, env) as (base, _):
        plain = httpx.get(f"{base}/login")
        proxied = httpx.get(f"{base}/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in plain.headers
    assert proxied.headers["strict-transport-security"] == "max-age=31536000"


# --- CSRF -----------------------------------------------------------------------------------

CSRF_MESSAGE = "security token of this form is missing or out of date"


def _state_changing_routes(client: TestClient) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method.upper() not in ("GET", "HEAD", "OPTIONS", "TRACE")
    )


@pytest.mark.docker
@pytest.mark.parametrize("role", ["participant", "organiser", "judge"])
def test_every_state_changing_route_refuses_a_request_without_the_token(
    site: Site, role: str
) -> None:
    browser = site.browsers[role]
    token = csrf_from(browser.get("/account").text)
    every = _state_changing_routes(site.world.client)
    # A mailed one-click unsubscribe link is posted by mail programs without a session: its
    # signed token is the proof (app/web/security.py). It is the one exception, and stays one.
    signed = [r for r in every if r[1].startswith(SIGNED_LINK_PREFIXES)]
    assert signed == [("POST", "/notifications/unsubscribe/{token}")], signed
    routes = [r for r in every if r not in signed]
    assert len(routes) >= 30, routes
    assert ("POST", "/organise/upload") in routes and ("POST", "/logout") in routes
    for method, template in routes:
        path = fill(template, site.values)
        attempts = {
            "no token": {"data": {"name": "x", "email": "x@example.org"}},
            "wrong token": {"data": {"csrf_token": token[::-1]}},
            "token in the query only": {"params": {"csrf_token": token}},
            "multipart without token": {"files": {"file": ("p.csv", PREDICTIONS)}},
            "json without token": {"json": {"name": "x"}},
        }
        for what, extra in attempts.items():
            response = browser.request(method, path, follow_redirects=False, **extra)
            where = f"{method} {template} as {role}, {what}"
            assert response.status_code == 403, f"{where}: {response.status_code}"
            body = response.text
            assert CSRF_MESSAGE in body, where
    # The session is intact: the refusals changed nothing, and the right token still works.
    assert browser.get("/account").status_code == 200
    assert csrf_from(browser.get("/account").text) == token


def test_other_methods_and_unknown_paths_need_the_token_too(settings: Settings) -> None:
    settings.base_url = APP_URL
    with TestClient(create_app(settings), base_url=APP_URL) as browser:
        sign_up(browser, "ada@example.org", password=PASSWORD)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = browser.request(method, "/account/tokens/1/revoke")
            assert response.status_code == 403 and CSRF_MESSAGE in response.text, method
            api = browser.request(method, f"/api/v1/challenges/{SLUG}/teams", json={})
            assert api.status_code == 403, method
            assert CSRF_MESSAGE in api.json()["error"]["message"], method
