"""The project pages on a real database (SQLite and PostgreSQL in turn) with Redis db 15."""

from __future__ import annotations

from tests.app.web.conftest import client, redis_15, web_settings

__all__ = ["client", "redis_15", "web_settings"]
