"""RQ handles built from settings: the judging, rescore and mail queues."""

from __future__ import annotations

import redis
from rq import Queue

from app.core.redis import redis_client
from app.core.settings import Settings

JOB_FUNCTION = "app.queue.jobs.judge_submission"
RESCORE_JOB_FUNCTION = "app.queue.rescore_jobs.rescore_item"
MAIL_JOB_FUNCTION = "app.queue.mail_jobs.send_mail"


def judge_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    return Queue(settings.queue_name, connection=client or redis_client(settings))


def rescore_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    """Rescoring waits in its own queue, which workers take only when no team is waiting."""
    return Queue(f"{settings.queue_name}-rescore", connection=client or redis_client(settings))


def mail_queue(settings: Settings, client: redis.Redis | None = None) -> Queue:
    """Mail waits in its own queue, taken by the worker host's mail process alone: a slow SMTP
    server never holds a judging slot, and mail goes out while the Docker engine is away."""
    return Queue(f"{settings.queue_name}-mail", connection=client or redis_client(settings))
