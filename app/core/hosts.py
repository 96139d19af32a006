"""What each worker host says about itself in Redis, for /healthz, /metrics and the dashboard.

Workers write it (`app.queue.worker`), the site reads it; it lives here, below both, so that
reading a host's health never needs the queue's code.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

HEALTH_KEY = "marea:workers:{host}"


@dataclass
class HostHealth:
    healthy: bool
    message: str


def publish_health(
    client: redis.Redis, host: str, health: HostHealth, processes: int, ttl: int
) -> None:
    body = json.dumps(
        {
            "host": host,
            "healthy": health.healthy,
            "message": health.message,
            "processes": processes,
            "at": time.time(),
        }
    )
    try:
        client.set(HEALTH_KEY.format(host=host), body, ex=ttl)
    except redis.RedisError as exc:
        log.warning("could not publish worker health: %s", exc)


def read_worker_health(client: redis.Redis) -> list[dict[str, object]]:
    hosts: list[dict[str, object]] = []
    for key in client.scan_iter(match=HEALTH_KEY.format(host="*")):
        raw = client.get(key)
        if raw:
            hosts.append(json.loads(raw))
    return hosts
