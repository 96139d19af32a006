"""Capped capture of a stream: keep the tail, count what was cut.

The end of a log is where the traceback is, so when a program floods its output
we keep the last bytes and say how many came before them.
"""

from __future__ import annotations


class TailBuffer:
    """Holds at most `limit` bytes: the most recent ones."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.total = 0
        self._buf = bytearray()

    def write(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if len(chunk) >= self.limit:
            self._buf = bytearray(chunk[len(chunk) - self.limit :]) if self.limit else bytearray()
            return
        self._buf += chunk
        excess = len(self._buf) - self.limit
        if excess > 0:
            del self._buf[:excess]

    @property
    def truncated_bytes(self) -> int:
        return self.total - len(self._buf)

    def text(self) -> str:
        """The kept tail as text; a multi-byte character cut at the start is replaced."""
        return self._buf.decode("utf-8", errors="replace")
