"""Redis and RQ handles built from settings."""

from __future__ import annotations

import redis
from rq import Queue

from app.settings import Settings

JOB_FUNCTION = "app.queue.jobs.judge_submission"
RESCORE_JOB_FUNCTION = "app.queue.rescore_jobs.rescore_item"


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=10)


def judge_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    return Queue(settings.queue_name, connection=client or redis_client(settings))


def rescore_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    """Rescoring waits in its own queue, which workers take only when no team is waiting."""
    return Queue(f"{settings.queue_name}-rescore", connection=client or redis_client(settings))
