"""What /healthz reports: each component the platform needs, checked for real."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

import sandbox


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return Check(True, f"{engine.dialect.name} reachable")
    except Exception as exc:  # any driver error means "not usable" here
        return Check(False, f"database unreachable: {exc.__class__.__name__}: {exc}"[:300])


def check_redis(url: str) -> Check:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return Check(True, "redis reachable")
    except redis.RedisError as exc:
        return Check(False, f"redis unreachable at {url}: {exc}"[:300])


def check_docker() -> Check:
    ok, message = sandbox.engine_healthy()
    return Check(ok, message)


def report(engine: Engine, redis_url: str) -> dict[str, Check]:
    return {
        "database": check_database(engine),
        "redis": check_redis(redis_url),
        "docker": check_docker(),
    }
