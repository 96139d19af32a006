"""A cap on every request body, before any route reads it.

Starlette parses a multipart form into spooled temporary files without a
total limit, so without this a login form could be sent gigabytes. Routes
that take files say so with `@takes_upload`; they get the upload limit (and
still cap and stream the file themselves); every other route gets the small
form limit, so a new upload route only needs the decorator. The counting is
`app.core.capped`'s, the same as the upload routes' own caps and the store's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.capped import ByteCap, TooLarge, declared_length
from app.core.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

UPLOAD_MARK = "__marea_takes_upload__"
# Multipart framing and the small fields around the file.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024
# What an upload route itself allows around its file (CSRF and other fields, part headers):
# less than the middleware's margin, so the route's own refusal, in its words, comes first.
FORM_OVERHEAD_BYTES = 64 * 1024


def takes_upload(endpoint: F) -> F:
    setattr(endpoint, UPLOAD_MARK, True)
    return endpoint


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, form_max_bytes: int, settings: Settings) -> None:
        self.app = app
        self.form_max = form_max_bytes
        self.settings = settings  # read per request, like the routes do
        self._upload_paths: list[re.Pattern[str]] | None = None

    def _limit(self, scope: Scope) -> int:
        if self._upload_paths is None:  # the routes are all there by the first request
            self._upload_paths = upload_paths(scope["app"].routes)
        path = scope["path"]
        if any(pattern.match(path) for pattern in self._upload_paths):
            return self.settings.upload_max_bytes + UPLOAD_OVERHEAD_BYTES
        return self.form_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = declared_length(Headers(scope=scope).get("content-length"))
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return
        cap = ByteCap(limit)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, cap.receive(receive), tracking_send)
        except TooLarge:
            if not cap.exceeded:  # a cap of the route's own, which it chose not to handle
                raise
            if not started:
                await _refuse(scope, send, limit)


def upload_paths(routes: Sequence[BaseRoute]) -> list[re.Pattern[str]]:
    """The paths of endpoints marked `@takes_upload`, however routers are nested."""
    found = []
    for context in iter_route_contexts(routes):
        if getattr(context.endpoint, UPLOAD_MARK, False) and context.path:
            found.append(compile_path(str(context.path))[0])
    return found


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    """413 in the API's error shape for the API, plain words for pages."""
    message = (
        f"The request is larger than the {limit / 1024 / 1024:.1f} MiB this address accepts; "
        "send less (files go to the upload forms, which accept more)."
    )
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"status": 413, "message": message}}).encode()
        kind = b"application/json"
    else:
        body = message.encode()
        kind = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
