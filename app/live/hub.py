"""The event hub of one web process.

A single Redis pattern subscription (not one per browser) receives every
event; the hub hands each to the SSE clients listening on its channel and
tells the board cache which phase changed. With 1,000 open pages this is
still one Redis connection per web process. When Redis drops the connection,
the hub reconnects and invalidates every cached board, since events may
have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

PATTERN = "marea:events:*"
CLIENT_QUEUE = 100


class EventHub:
    def __init__(self, redis_url: str) -> None:
        self._redis_url = redis_url
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._on_event: list[Callable[[str, dict[str, Any]], None]] = []
        self._on_reset: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.connected = asyncio.Event()

    def on_event(self, callback: Callable[[str, dict[str, Any]], None]) -> None:
        self._on_event.append(callback)

    def on_reset(self, callback: Callable[[], None]) -> None:
        self._on_reset.append(callback)

    def subscribe(self, channel: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=CLIENT_QUEUE)
        self._listeners[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._listeners[channel].discard(queue)
        if not self._listeners[channel]:
            del self._listeners[channel]

    @property
    def listener_count(self) -> int:
        return sum(len(v) for v in self._listeners.values())

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return  # another server of this app in this process runs it (and will stop it)
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="marea-event-hub")

    async def stop(self) -> None:
        """Stop the subscription, if the caller's event loop is the one that started it.

        One app can be served by two servers in one process at once (a test's TestClient
        beside a served site): each runs the lifespan on its own loop, and only the loop that
        owns the task may cancel and await it.
        """
        task = self._task
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            return
        self._stopping = True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._task = None

    def deliver(self, channel: str, payload: dict[str, Any]) -> None:
        for callback in self._on_event:
            callback(channel, payload)
        for queue in list(self._listeners.get(channel, ())):
            if queue.full():  # a stalled client loses old events, never blocks the others
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(payload)

    async def _run(self) -> None:
        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(self._redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(PATTERN)
                    self.connected.set()
                    delay = 0.5
                    for callback in self._on_reset:
                        callback()
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"]
                        channel = channel.decode() if isinstance(channel, bytes) else channel
                        try:
                            payload = json.loads(message["data"])
                        except (ValueError, TypeError):
                            continue
                        self.deliver(channel, payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or unreachable: retry with backoff
                self.connected.clear()
                task = asyncio.current_task()
                if self._stopping or (task is not None and task.cancelling()):
                    # redis-py may turn a cancel that lands while it connects into an ordinary
                    # error; retrying then would make stop() wait forever.
                    raise asyncio.CancelledError from exc
                log.warning("event hub lost Redis (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
