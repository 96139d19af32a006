"""The web app fixtures (SQLite and PostgreSQL in turn, Redis db 15) for the project tests
that need a site; the pure tests of this folder use none of them."""

from __future__ import annotations

from tests.app.web.conftest import client, redis_15, web_settings

__all__ = ["client", "redis_15", "web_settings"]
