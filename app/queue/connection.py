"""RQ handles built from settings: the judging queues (one per compute pool), rescore and mail."""

from __future__ import annotations

import redis
from rq import Queue

from app.core.redis import redis_client
from app.core.settings import DEFAULT_POOL, Settings, pool_queue_name

JOB_FUNCTION = "app.queue.jobs.judge_submission"
RESCORE_JOB_FUNCTION = "app.queue.rescore_jobs.rescore_item"
MAIL_JOB_FUNCTION = "app.queue.mail_jobs.send_mail"


def judge_queue(
    settings: Settings, client: redis.Redis | None = None, pool: str = DEFAULT_POOL
) -> Queue:
    return Queue(
        pool_queue_name(settings.queue_name, pool), connection=client or redis_client(settings)
    )


def pool_queue(default: Queue, pool: str) -> Queue:
    """Another pool's queue, beside the default pool's `default` (same Redis, name after it)."""
    if pool == DEFAULT_POOL:
        return default
    return Queue(pool_queue_name(default.name, pool), connection=default.connection)


def rescore_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    """Rescoring waits in its own queue, which workers take only when no team is waiting."""
    return Queue(f"{settings.queue_name}-rescore", connection=client or redis_client(settings))


def mail_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    """Mail waits in its own queue, taken by the worker host's mail process alone: a slow SMTP
    server never holds a judging slot, and mail goes out while the Docker engine is away."""
    return Queue(f"{settings.queue_name}-mail", connection=client or redis_client(settings))
