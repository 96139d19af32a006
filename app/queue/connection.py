"""Redis and RQ handles built from settings."""

from __future__ import annotations

import redis
from rq import Queue

from app.settings import Settings

JOB_FUNCTION = "app.queue.jobs.judge_submission"


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=10)


def judge_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    return Queue(settings.queue_name, connection=client or redis_client(settings))
