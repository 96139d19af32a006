"""CSRF protection and security headers for every response.

CSRF is checked in one ASGI middleware rather than per route so that a form
added tomorrow by anyone is protected without remembering to opt in. A request
that changes state must carry the session's token, either in a `csrf_token`
form field (see `csrf_input()` for templates) or in an `X-CSRF-Token` header
(for scripts). Requests authenticated with `Authorization: Bearer` are exempt:
a browser never attaches that header by itself, so a forged cross-site request
cannot carry it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.settings import Settings
from app.i18n import pick_language
from app.web.page import Page

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Links whose path carries a signed token that is the whole proof, posted by mail programs
# that have no session (RFC 8058 one-click unsubscribe): a forged request would need the token.
SIGNED_LINK_PREFIXES = ("/notifications/unsubscribe/",)
# A urlencoded form larger than this is refused before it is read whole.
MAX_FORM_BYTES = 2 * 1024 * 1024
# In a multipart upload the token must appear within this many bytes, so a large
# file is never buffered just to find it: put `csrf_input()` first in the form.
MULTIPART_SCAN_BYTES = 64 * 1024

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_MULTIPART_TOKEN = re.compile(
    rb'content-disposition:\s*form-data;\s*name="' + CSRF_FIELD.encode() + rb'"\r\n'
    # Part headers are non-empty lines, so the first empty line ends them and the token follows
    # at once; a looser pattern would run on into later fields and take their value instead.
    rb"(?:[^\r\n]+\r\n)*?\r\n([A-Za-z0-9_\-]{1,200})\r\n",
    re.IGNORECASE,
)


def csrf_token_for(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use; stable for the session's life."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def rotate_csrf_token(session: MutableMapping[str, Any]) -> None:
    """A fresh token after login/logout, so a token seen before login is worthless after."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


@pass_context
def csrf_token(context: Context) -> str:
    """Jinja global: the raw token, for a `<meta>` tag read by scripts."""
    request: Request = context["request"]
    if "session" not in request.scope:  # pages rendered outside the middleware (500s)
        return ""
    return csrf_token_for(request.session)


@pass_context
def csrf_input(context: Context) -> Markup:
    """Jinja global: `{{ csrf_input() }}` inside every `<form method="post">`."""
    request: Request = context["request"]
    if "session" not in request.scope:
        return Markup("")
    value = escape(csrf_token_for(request.session))
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{value}">')


def is_bearer(headers: Mapping[str, str]) -> bool:
    return headers.get("authorization", "").lower().startswith("bearer ")


class CsrfMiddleware:
    """Refuses state-changing requests without the session's token (403).

    Must run inside Starlette's SessionMiddleware, which puts the session in the scope.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if is_bearer(headers) or scope["path"].startswith(SIGNED_LINK_PREFIXES):
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        expected = session.get(SESSION_KEY) if isinstance(session, Mapping) else None
        sent = headers.get(CSRF_HEADER)
        buffered: list[Message] = []
        if sent is None:
            found = await _token_from_body(headers, receive, buffered)
            if isinstance(found, Response):
                await found(scope, receive, send)
                return
            sent = found
        if not isinstance(expected, str) or not sent or not _same(expected, sent):
            await _refusal(scope, expected is None)(scope, receive, send)
            return
        await self.app(scope, _replay(buffered, receive), send)


def _same(expected: str, sent: str) -> bool:
    return hmac.compare_digest(expected.encode(), sent.encode())


async def _token_from_body(
    headers: Headers, receive: Receive, buffered: list[Message]
) -> str | Response | None:
    """Reads just enough of the body to find the token, keeping what it read for the app."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = await _read(receive, buffered, limit=MAX_FORM_BYTES, stop=None)
        if body is None:
            return JSONResponse(
                {"error": {"status": 413, "message": "The form is too large."}}, status_code=413
            )
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type == "multipart/form-data":
        body = await _read(receive, buffered, limit=MULTIPART_SCAN_BYTES, stop=_MULTIPART_TOKEN)
        match = _MULTIPART_TOKEN.search(body or b"")
        return match.group(1).decode() if match else None
    return None


async def _read(
    receive: Receive, buffered: list[Message], *, limit: int, stop: re.Pattern[bytes] | None
) -> bytes | None:
    """The body so far; None when it passes `limit` before ending (or before `stop` matches)."""
    body = b""
    while True:
        message = await receive()
        buffered.append(message)
        if message["type"] != "http.request":
            return body
        chunk: bytes = message.get("body", b"")
        body += chunk
        if stop is not None and stop.search(body):
            return body
        if not message.get("more_body", False):
            return body
        if len(body) > limit:
            return None if stop is None else body


def _replay(buffered: list[Message], receive: Receive) -> Receive:
    pending = list(buffered)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _refusal(scope: Scope, no_session: bool) -> Response:
    if no_session:
        message = (
            "This form expired or your browser refused our cookie: reload the page and try again."
            " (API clients: send Authorization: Bearer <token>.)"
        )
    else:
        message = (
            "The security token of this form is missing or out of date (CSRF protection): "
            "reload the page and submit it again."
        )
    path: str = scope.get("path", "")
    if path.startswith("/api/"):
        return JSONResponse({"error": {"status": 403, "message": message}}, status_code=403)
    request = Request(scope)
    app = scope.get("app")
    templates = getattr(getattr(app, "state", None), "templates", None)
    if templates is None:
        return HTMLResponse(f"<p>{escape(message)}</p>", status_code=403)
    settings = app.state.settings  # type: ignore[union-attr]
    page = Page(request, pick_language(request, settings.default_language), templates)
    return page.render("error.html", {"status": 403, "message": message}, status=403)


# What every answer but the static files says to caches: most pages and API answers depend
# on who asks (the signed-in user's team, an organiser's view, the captain's invitation code),
# and a shared cache (a venue's proxy, a CDN) or the browser's own history must never hand
# one person's answer to another, or show it again after logging out.
CACHE_CONTROL = "private, no-store"
# Answers the same for everyone and safe to keep: the CSS, scripts and images.
CACHEABLE_PREFIXES = ("/static/",)


def cache_control_for(path: str, declared: str | None) -> str | None:
    """The Cache-Control an answer goes out with; None keeps whatever it has.

    A route may still declare its answer shared by sending a Cache-Control with `public`
    (none does today); anything else it set (`no-cache` on the event streams) is replaced.
    """
    if path.startswith(CACHEABLE_PREFIXES):
        return None
    if declared and "public" in {d.strip().lower() for d in declared.split(",")}:
        return None
    return CACHE_CONTROL


class SecurityHeadersMiddleware:
    """Headers that make the browser refuse framing, sniffing and foreign scripts, and keep
    answers that depend on who asks out of every cache."""

    def __init__(self, app: ASGIApp, *, https: bool, csp_exempt: frozenset[str]) -> None:
        self.app = app
        # HSTS goes out when the site's base URL is https, or when this request came over
        # https (uvicorn's proxy_headers turn a trusted X-Forwarded-Proto into the scheme).
        self.https = https
        # The interactive API docs load FastAPI's own scripts, which the policy would block.
        self.csp_exempt = csp_exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        with_csp = path not in self.csp_exempt
        with_hsts = self.https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cache = cache_control_for(path, headers.get("cache-control"))
                if cache is not None:
                    headers["Cache-Control"] = cache
                if with_csp:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if with_hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


LOCAL_HOSTS = frozenset({"127.0.0.1", "::1"})


def may_scrape(request: Request, settings: Settings) -> bool:
    """Whether the caller may read the operators' figures (/metrics, /healthz's details).

    With `MAREA_METRICS_TOKEN` set, the caller must send it as a bearer token; without one,
    only calls from this host qualify (behind a proxy on the same host, uvicorn's
    proxy_headers put the real client's address in the request from X-Forwarded-For).
    """
    if not settings.metrics_token:
        return request.client is not None and request.client.host in LOCAL_HOSTS
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        secret.strip().encode(), settings.metrics_token.encode()
    )
