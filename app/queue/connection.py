"""RQ handles built from settings: the judging queue and the rescore queue."""

from __future__ import annotations

import redis
from rq import Queue

from app.core.redis import redis_client
from app.core.settings import Settings

JOB_FUNCTION = "app.queue.jobs.judge_submission"
RESCORE_JOB_FUNCTION = "app.queue.rescore_jobs.rescore_item"


def judge_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    return Queue(settings.queue_name, connection=client or redis_client(settings))


def rescore_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    """Rescoring waits in its own queue, which workers take only when no team is waiting."""
    return Queue(f"{settings.queue_name}-rescore", connection=client or redis_client(settings))
