"""Small helpers the account pages share: safe redirects and the client address."""

from __future__ import annotations

from starlette.requests import Request


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after logging in: only a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with --proxy-headers so this is the client)."""
    return request.client.host if request.client else "unknown"
