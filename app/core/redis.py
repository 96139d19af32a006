"""The Redis client every part of the site builds from settings (queue, events, limits)."""

from __future__ import annotations

import redis

from app.core.settings import Settings


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=10)
