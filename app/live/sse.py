"""Server-Sent Events framing and pacing, shared by every live stream.

Keep-alives follow a fixed schedule from the start of the stream, never
"15 s after the last message": a timer restarted by each event would show a
reader, by the gaps between keep-alives, that events were sent to others and
held back from them (a hidden board moved). What a reader receives must not
depend on what was withheld.

Every stream answers through `response`, so the media type and the headers that keep
proxies from caching or buffering it are set in one place.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

RETRY = b"retry: 2000\n\n"
KEEPALIVE = b": keep-alive\n\n"
KEEPALIVE_S = 15.0
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
MEDIA_TYPE = "text/event-stream"


def frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def response(body: AsyncIterator[bytes]) -> StreamingResponse:
    """The HTTP response of a stream whose frames (`RETRY`, `frame`, `KEEPALIVE`) are `body`."""
    return StreamingResponse(body, media_type=MEDIA_TYPE, headers=HEADERS)


async def paced(
    queue: asyncio.Queue[dict[str, Any]], interval_s: float = KEEPALIVE_S
) -> AsyncIterator[dict[str, Any] | None]:
    """The queue's items as they come, and None at every tick of a fixed keep-alive schedule.

    Ticks are at start + k * interval whatever was received meanwhile; a tick
    missed while the consumer was busy is given once, and the schedule holds.
    """
    loop = asyncio.get_running_loop()
    next_tick = loop.time() + interval_s
    while True:
        remaining = next_tick - loop.time()
        if remaining <= 0:
            while next_tick <= loop.time():
                next_tick += interval_s
            yield None
            continue
        try:
            item = await asyncio.wait_for(queue.get(), timeout=remaining)
        except TimeoutError:
            continue
        yield item
