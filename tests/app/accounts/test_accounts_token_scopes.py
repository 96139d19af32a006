"""What an API token may reach, for every route the app has (issue 11, point 9).

The routes are read from the app, not listed by hand, so a route added tomorrow is in
the table at once:

- every state-changing route under /api/ refuses a `read` token (403 naming the
  `submit` scope) and changes nothing, while a `submit` token gets past that check;
- every route outside /api/ that looks at who is calling refuses any token (403): the
  pages, and above all the account page's token and session management, are for a
  browser session only, so a token can never mint a token that outlives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.deps import get_optional_user
from app.accounts.models import ApiToken, TokenScope, User, UserSession
from app.accounts.tokens import create_token
from app.core.db import session_scope
from app.models import Membership, Submission, Team
from app.web.security import SAFE_METHODS
from tests.app.accounts.helpers import csrf_from, sign_up

PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")


def _looks_at_the_caller(dependant: Dependant) -> bool:
    return any(
        d.call is get_optional_user or _looks_at_the_caller(d) for d in dependant.dependencies
    )


def _routes(app: FastAPI) -> Iterator[tuple[str, str, bool]]:
    """(method, path, whether the route asks who is calling) for every route of the app,
    however routers are nested."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path:
            for method in sorted(set(context.methods or ()) - {"HEAD"}):
                yield method, str(context.path), _looks_at_the_caller(route.dependant)


def _filled(path: str) -> str:
    return PLACEHOLDER.sub("1", path)


def _counts(site: TestClient) -> dict[str, int]:
    engine = site.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as db:
        return {
            model.__name__: int(db.exec(select(func.count()).select_from(model)).one())
            for model in (ApiToken, Team, Membership, Submission, UserSession, User)
        }


def _tokens(site: TestClient, email: str) -> dict[TokenScope, str]:
    engine = site.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as db:
        user = db.exec(select(User).where(User.email == email)).one()
        made = {
            scope: create_token(db, user, f"{scope.value} token", scope) for scope in TokenScope
        }
        return {scope: m.secret for scope, m in made.items()}  # type: ignore[union-attr]


def _send(site: TestClient, method: str, path: str, token: str) -> Any:
    return site.request(
        method,
        path,
        headers={"Authorization": f"Bearer {token}"},
        json={},
        follow_redirects=False,
    )


def test_every_write_under_the_api_needs_the_submit_scope(site: TestClient) -> None:
    sign_up(site, "ada@example.org")
    site.cookies.clear()  # from here on only the tokens speak
    tokens = _tokens(site, "ada@example.org")
    writes = [
        (m, p) for m, p, _ in _routes(site.app) if p.startswith("/api/") and m not in SAFE_METHODS
    ]  # type: ignore[arg-type]
    assert len(writes) >= 7, writes  # submissions, final choice, five team actions at least
    before = _counts(site)
    problems = []
    for method, path in writes:
        read = _send(site, method, _filled(path), tokens[TokenScope.read])
        message = read.json().get("error", {}).get("message", "")
        if read.status_code != 403 or "needs the `submit` scope" not in message:
            problems.append(f"{method} {path} with a read token: {read.status_code} {message}")
        submit = _send(site, method, _filled(path), tokens[TokenScope.submit])
        if "scope" in submit.text:
            problems.append(f"{method} {path} refused a submit token: {submit.text}")
    assert not problems, "\n".join(problems)
    after = _counts(site)
    assert after == before, "the refused read-token calls (and the bogus ids) changed nothing"
    # Reading is what a read token is for.
    me = site.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[TokenScope.read]}"})
    assert me.status_code == 200 and me.json()["credential"] == {
        "kind": "token",
        "scope": "read",
        "token_id": me.json()["credential"]["token_id"],
        "token_name": "read token",
    }


def test_no_page_takes_a_token_least_of_all_token_and_session_management(
    site: TestClient,
) -> None:
    sign_up(site, "ada@example.org")
    tokens = _tokens(site, "ada@example.org")
    browser_csrf = csrf_from(site.get("/account").text)
    pages = [(m, p) for m, p, asks in _routes(site.app) if asks and not p.startswith("/api/")]  # type: ignore[arg-type]
    management = {(m, p) for m, p in pages if p.startswith("/account")}
    assert {
        ("POST", "/account/tokens"),
        ("POST", "/account/tokens/{token_id}/revoke"),
        ("POST", "/account/sessions/{session_id}/end"),
        ("POST", "/account/sessions/end-others"),
        ("GET", "/account"),
    } <= management
    before = _counts(site)
    problems = []
    for method, path in pages:
        for scope, token in tokens.items():
            # Even riding along with the owner's browser cookie and CSRF token.
            answer = site.request(
                method,
                _filled(path),
                headers={"Authorization": f"Bearer {token}", "X-CSRF-Token": browser_csrf},
                data={"name": "minted by a token", "scope": "submit"},
                follow_redirects=False,
            )
            if answer.status_code != 403 or "API tokens work only for the API" not in answer.text:
                problems.append(f"{method} {path} with a {scope.value} token: {answer.status_code}")
            elif (method, path) in management and "account page" not in answer.text:
                problems.append(f"{method} {path}: the refusal should point to the account page")
    assert not problems, "\n".join(problems)
    assert _counts(site) == before, "no token was made, revoked or ended anything"


def test_tokens_are_made_with_the_scope_chosen_and_shown_with_it(site: TestClient) -> None:
    sign_up(site, "ada@example.org")
    page = site.get("/account?lang=en").text
    read_radio = re.search(r'<input type="radio" name="scope" value="read"[^>]*>', page)
    assert read_radio and "checked" in read_radio.group(0), "read is preselected"
    csrf = csrf_from(page)
    secrets = {}
    for scope in ("read", "submit"):
        made = site.post(
            "/account/tokens?lang=en",
            data={"name": f"{scope} one", "scope": scope, "csrf_token": csrf},
        )
        assert made.status_code == 201
        found = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', made.text)
        assert found
        secrets[scope] = found.group(1)
    listed = site.get("/account?lang=en").text.split('id="tokens"', 1)[1]
    assert re.search(r"submit one</h3>.*?data-scope=\"submit\">read and submit<", listed, re.S)
    assert re.search(r"read one</h3>.*?data-scope=\"read\">read only<", listed, re.S)
    for scope, secret in secrets.items():
        me = site.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert (
            me["credential"]["scope"] == scope and me["credential"]["token_name"] == f"{scope} one"
        )
    assert site.get("/api/v1/me").json()["credential"] == {
        "kind": "session",
        "scope": "submit",
        "token_id": None,
        "token_name": None,
    }
    odd = site.post(
        "/account/tokens?lang=en", data={"name": "x", "scope": "admin", "csrf_token": csrf}
    )
    assert odd.status_code == 422 and "Choose what the token may do" in odd.text
    assert 'value="submit" checked' not in odd.text or 'value="admin"' not in odd.text


@pytest.mark.parametrize("scope", list(TokenScope))
def test_a_read_token_is_told_which_scope_a_write_needs(
    site: TestClient, scope: TokenScope
) -> None:
    sign_up(site, "ada@example.org")
    site.cookies.clear()
    token = _tokens(site, "ada@example.org")[scope]
    made = site.post(
        "/api/v1/challenges/no-such-challenge/teams",
        json={"name": "Delfini"},
        headers={"Authorization": f"Bearer {token}"},
    )
    if scope is TokenScope.read:
        assert made.status_code == 403
        message = made.json()["error"]["message"]
        assert "“read token” has the `read` scope" in message and "/account" in message
    else:
        assert made.status_code == 404  # past the scope check, on to the (missing) challenge
