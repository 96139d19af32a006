"""The web app fixtures (SQLite and PostgreSQL in turn, Redis db 15) for project-only tests."""

from tests.app.web.conftest import client, redis_15, web_settings

__all__ = ["client", "redis_15", "web_settings"]
