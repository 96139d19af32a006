"""Per-request language: chosen once, visible to every template, and remembered.

A pure ASGI middleware (not BaseHTTPMiddleware) so the ContextVar it sets is the one the
route, its thread-pool worker and the exception handlers all see. When the visitor picks a
language with ?lang=, the choice is written to the `lang` cookie that pick_language reads,
so the next page, with no ?lang=, stays in that language.

The API speaks English unless its caller asks for a language (?lang=, the cookie, or
Accept-Language): a script should not get Italian refusals because the site's default is
Italian. Stored messages it returns (a submission's `message`) are English whatever is asked.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n.choice import LANGUAGES, pick_language
from app.i18n.context import use_language

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
API_LANGUAGE = "en"


class LanguageMiddleware:
    def __init__(self, app: ASGIApp, default_language: str = "it", secure: bool = False) -> None:
        self.app = app
        self.default_language = default_language
        # Like the session cookie: never sent over plain http when the site is https.
        self.attributes = "; Secure" if secure else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        default = API_LANGUAGE if scope["path"].startswith("/api/") else self.default_language
        lang = pick_language(request, default)
        asked = request.query_params.get("lang")
        remember = asked in LANGUAGES and request.cookies.get(COOKIE) != asked

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append(
                    "set-cookie",
                    f"{COOKIE}={lang}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly"
                    f"{self.attributes}",
                )
            await send(message)

        with use_language(lang):
            await self.app(scope, receive, send_with_cookie)
