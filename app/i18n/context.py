"""The language of the request being served, for code that has no request at hand.

A ContextVar rather than a global: each request (async task or worker thread, which
copies the context) sees its own value, so concurrent Italian and English pages never
mix their words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("marea_language", default=None)


def current_language() -> str | None:
    """The language chosen for the request in progress, or None outside a request."""
    return _current.get()


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Speak `lang` for the duration of the block (a request, a CLI command, a test)."""
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)
