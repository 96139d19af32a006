"""A cap on the live event streams (Server-Sent Events) one client address holds at once.

An event stream stays open as long as the client likes, and each one holds a connection,
a subscription to the event hub and a task in the web process. A single client opening
thousands of them exhausts the process's file descriptors for everyone; past
`MAREA_STREAMS_PER_CLIENT` open at once from one address, the next is answered 429 with
Retry-After, and a stream's place is free again the moment it closes.

The address is the one uvicorn puts in the scope: the peer, or the `X-Forwarded-For` of the
trusted proxy in front of `marea serve`. Everyone behind one NAT (a venue's Wi-Fi) shares
an address, which is why the default is generous. The count is per web process.

Kept out of the routes so that a stream added or rewritten tomorrow is capped as long as
its path is listed in `STREAM_PATHS` (tests/hostile/test_slow_clients.py checks that every
route ending in `/events` is).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter

from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.settings import Settings

STREAM_PATHS = (
    "/api/v1/challenges/{slug}/events",
    "/api/v1/submissions/{submission_id}/events",
    "/api/v1/challenges/{slug}/questions/events",
    "/organise/{slug}/questions/events",
    "/announcements/events",
)
RETRY_AFTER_S = 30

_PATTERNS: tuple[re.Pattern[str], ...] = tuple(compile_path(p)[0] for p in STREAM_PATHS)


def is_stream(path: str) -> bool:
    return any(pattern.match(path) for pattern in _PATTERNS)


class StreamLimitMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings  # read per request, like the routes do
        self.live: Counter[str] = Counter()
        # One event loop serves a web process; tests may run several, one per thread.
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_stream(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        limit = self.settings.streams_per_client
        with self.lock:
            admitted = self.live[address] < limit
            if admitted:
                self.live[address] += 1
        if not admitted:
            await _refuse(send, limit)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.live[address] -= 1
                if self.live[address] <= 0:
                    del self.live[address]


async def _refuse(send: Send, limit: int) -> None:
    message = (
        f"Too many live updates are open from your address (at most {limit} at once): "
        f"close some pages of this site, or try again in {RETRY_AFTER_S} seconds."
    )
    body = json.dumps({"error": {"status": 429, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
