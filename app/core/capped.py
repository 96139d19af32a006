"""The one way bytes are read under a cap: request bodies, uploaded files, stored streams.

Every way in (the body limit on every request, a bundle's zips, a submission's file, the
store's own write) counts what arrives against its cap as it arrives and stops the moment
the count passes it: the chunk that crosses the cap is never written or handed on, and a
declared Content-Length over the cap is refused before a byte is read. Kept in one place
so those rules, and what "over the cap" means (strictly more than `limit` bytes), cannot
differ between the doors. It sits in `core` because the store needs it; the ASGI side is
typed structurally (the same shape as starlette's `Receive`) to keep web libraries out of
`core`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


class TooLarge(Exception):
    """Raised while streaming when the content exceeds the caller's cap; nothing is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"content exceeds the limit of {limit} bytes")
        self.limit = limit


class ByteCap:
    """A running count of bytes against `limit` (None: no cap, only the count).

    `exceeded` tells a caller whose reads are nested in another capped read (a route under
    the body-limit middleware) whether a `TooLarge` it caught was its own.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.seen = 0

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.seen > self.limit

    def take(self, size: int) -> None:
        """Count `size` more bytes; raises TooLarge once the total passes the cap."""
        self.seen += size
        if self.limit is not None and self.seen > self.limit:
            raise TooLarge(self.limit)

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks, counted; TooLarge instead of the chunk that passes the cap."""
        for chunk in chunks:
            self.take(len(chunk))
            yield chunk

    def receive(self, receive: Receive) -> Receive:
        """An ASGI `receive` that counts request body bytes and raises TooLarge past the cap."""

        async def capped() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.take(len(message.get("body", b"")))
            return message

        return capped


def declared_length(value: str | bytes | None) -> int | None:
    """A Content-Length header as a number; None when absent or not a plain decimal.

    A malformed value is left for the capped read to judge by the bytes that really come.
    """
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    return int(value)
