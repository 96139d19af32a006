"""How `marea serve` holds its connections: slow or stalled clients are closed.

uvicorn closes a kept-alive connection that stays silent between requests, but nothing
else: a client may take forever to send its request line and headers (a byte a second
keeps them open), or stop in the middle of an upload, and each such connection holds a
socket, and for a body a route's worker, for as long as the client likes. One web process
serving a hackathon runs out of both after a few hundred such clients.

`GuardedHttpToolsProtocol` is uvicorn's own httptools protocol with three limits:

- the request line and headers must all arrive within `MAREA_HEADER_TIMEOUT_S`, counted
  from the connection's opening or the request's first byte: a deadline, not an idle
  timer, so trickling does not extend it (answered 408, then closed);
- a request body that sends nothing for `MAREA_BODY_IDLE_TIMEOUT_S` is closed (an idle
  timer: a slow but steady upload goes on as long as it keeps sending); time in which the
  server itself keeps the client waiting (the route has not read what came, or not yet
  asked for a body the client holds back until told, `Expect: 100-continue`) is not the
  client's idleness and does not count;
- the request line and headers may hold `MAX_HEADER_BYTES` (431 past it): httptools has no
  limit of its own.

The timeouts are read from the environment's settings (`get_settings`), which is where
every web process of `marea serve` reads its configuration; uvicorn starts the protocol by
its import path (`PROTOCOL`), so web processes started by `--workers` get it too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.core.settings import get_settings

PROTOCOL = "app.web.server:GuardedHttpToolsProtocol"
# The request line and all headers together; browsers send a few KiB at most.
MAX_HEADER_BYTES = 64 * 1024

log = logging.getLogger("marea.server")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.header_timeout_s = settings.header_timeout_s
        self.body_idle_timeout_s = settings.body_idle_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._in_body = False
        self._header_bytes = 0
        self._headers_too_large = False

    # --- the connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_deadline()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_body:
            self._restart_body_timer()
        super().data_received(data)
        if self._headers_too_large:
            self._refuse(431, "The request line and headers are too large.")

    # --- the parser's callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._start_header_deadline()  # the next request of a kept-alive connection

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        if not self._headers_too_large:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        if not self._headers_too_large:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        if self._headers_too_large:
            return  # the app never sees a request whose headers were cut short
        super().on_headers_complete()
        self._in_body = True
        self._restart_body_timer()

    def on_message_complete(self) -> None:
        self._in_body = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        if not self._headers_too_large:  # no request was started for the app to complete
            super().on_message_complete()

    def on_body(self, body: bytes) -> None:
        if not self._headers_too_large:
            super().on_body(body)

    # --- the limits ------------------------------------------------------------------------

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._headers_too_large = True

    def _start_header_deadline(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _headers_late(self) -> None:
        self._header_timer = None
        log.info("closed a connection from %s: headers not complete in time", self._peer())
        self._refuse(408, "The request line and headers took too long to arrive.")

    def _restart_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
        self._body_timer = self.loop.call_later(self.body_idle_timeout_s, self._body_idle)

    def _body_idle(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or not self._in_body:
            return
        cycle = self.cycle
        waiting_for_route = (
            cycle is not None
            and not cycle.response_complete
            and (self.flow.read_paused or bool(cycle.body) or cycle.waiting_for_100_continue)
        )
        if waiting_for_route:
            # The route has not read what came, or not yet asked for the body the client
            # holds back until told to (Expect: 100-continue): the wait is the server's.
            self._restart_body_timer()
            return
        log.info("closed a connection from %s: the request body stalled", self._peer())
        self.transport.close()  # the route's next read sees the client gone

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` if no response is under way on this connection, then close it."""
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            body = message.encode()
            reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status, reason.get(status, b""), len(body), body)
            )
        self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None

    def _peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "?"
