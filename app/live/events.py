"""Live events over Redis pub/sub, so every web process can tell its pages what changed.

Publishing is best effort: the database already holds the truth, and a page
that missed an event catches up when it reloads or reconnects.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

log = logging.getLogger(__name__)


def submission_channel(submission_id: int) -> str:
    return f"marea:events:submission:{submission_id}"


def challenge_channel(challenge_id: int) -> str:
    return f"marea:events:challenge:{challenge_id}"


def questions_channel(challenge_id: int) -> str:
    """A challenge's questions: streams forward an event only to the readers it concerns."""
    return f"marea:events:questions:{challenge_id}"


def publish(client: redis.Redis, channels: list[str], payload: dict[str, Any]) -> None:
    message = json.dumps(payload, default=str)
    try:
        pipe = client.pipeline(transaction=False)
        for channel in channels:
            pipe.publish(channel, message)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not publish %s: %s", payload.get("type"), exc)
