"""What each worker host says about itself in Redis, for /healthz, /metrics and the dashboard.

Workers write it (`app.queue.worker`), the site reads it; it lives here, below both, so that
reading a host's health never needs the queue's code.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

log = logging.getLogger(__name__)

HEALTH_KEY = "marea:workers:{host}"


@dataclass
class HostHealth:
    healthy: bool
    message: str


@dataclass(frozen=True)
class HostCapacity:
    """What a worker host has, announced so organisers see what each pool runs on."""

    cpus: int
    memory_mb: int
    gpus: int


def memory_mb(meminfo: Path = Path("/proc/meminfo")) -> int:
    """The host's memory (MemTotal), 0 where /proc/meminfo is not there to read."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return 0


def host_capacity(gpus: int) -> HostCapacity:
    """`gpus` comes from the settings (MAREA_WORKER_GPUS): Marea does not probe for GPUs."""
    return HostCapacity(cpus=os.cpu_count() or 0, memory_mb=memory_mb(), gpus=gpus)


def publish_health(
    client: redis.Redis,
    host: str,
    health: HostHealth,
    processes: int,
    ttl: int,
    *,
    pools: Sequence[str] = (),
    capacity: HostCapacity | None = None,
) -> None:
    body = json.dumps(
        {
            "host": host,
            "healthy": health.healthy,
            "message": health.message,
            "processes": processes,
            "pools": list(pools),
            "capacity": asdict(capacity) if capacity else None,
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
