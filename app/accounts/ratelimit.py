"""Counting failed logins in Redis so that guessing passwords is slow.

Failures are counted per account email and per client address, each in a key
that expires `window_s` after its first failure (INCR + EXPIRE NX in one
transaction, so concurrent workers never lose a count or leave a key immortal).
While either count is at its limit, logins for that email or from that address
are refused with the time left until the key expires.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass

import redis

PREFIX = "marea:login-failures"


@dataclass(frozen=True)
class Allowed:
    pass


@dataclass(frozen=True)
class Blocked:
    """Too many failures: try again in `retry_after_s` seconds."""

    retry_after_s: int


@dataclass(frozen=True)
class Unavailable:
    """Redis cannot be reached, so failures cannot be counted: logins are refused."""

    message: str


Verdict = Allowed | Blocked | Unavailable


class LoginLimiter:
    def __init__(self, client: redis.Redis, *, per_email: int, per_ip: int, window_s: int) -> None:
        self.client = client
        self.per_email = per_email
        self.per_ip = per_ip
        self.window_s = window_s

    def check(self, *, email: str, ip: str) -> Verdict:
        """Whether a login attempt for `email` from `ip` may be tried now."""
        keys = self._keys(email, ip)
        try:
            pipe = self.client.pipeline(transaction=False)
            for key, _ in keys:
                pipe.get(key)
                pipe.ttl(key)
            replies = pipe.execute()
        except redis.RedisError as exc:
            return Unavailable(f"Login is paused: the rate limiter cannot reach Redis ({exc}).")
        waits = [
            self._ttl(ttl)
            for (_, limit), count, ttl in zip(keys, replies[0::2], replies[1::2], strict=True)
            if count is not None and int(count) >= limit
        ]
        return Blocked(max(waits)) if waits else Allowed()

    def record_failure(self, *, email: str, ip: str) -> Verdict:
        """Counts one failure; the verdict says whether the next attempt will be refused."""
        keys = self._keys(email, ip)
        try:
            pipe = self.client.pipeline(transaction=True)
            for key, _ in keys:
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                pipe.ttl(key)
            replies = pipe.execute()
        except redis.RedisError as exc:
            return Unavailable(f"Login is paused: the rate limiter cannot reach Redis ({exc}).")
        waits = [
            self._ttl(ttl)
            for (_, limit), count, ttl in zip(keys, replies[0::3], replies[2::3], strict=True)
            if int(count) >= limit
        ]
        return Blocked(max(waits)) if waits else Allowed()

    def forget_email(self, email: str) -> None:
        """A correct password clears that account's count (not the address's: it may be shared)."""
        # The key expires on its own; a successful login must not fail for this.
        with contextlib.suppress(redis.RedisError):
            self.client.delete(self._email_key(email))

    def _keys(self, email: str, ip: str) -> list[tuple[str, int]]:
        return [(self._email_key(email), self.per_email), (f"{PREFIX}:ip:{ip}", self.per_ip)]

    @staticmethod
    def _email_key(email: str) -> str:
        # Hashed so that Redis never holds the addresses people typed.
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return f"{PREFIX}:email:{digest}"

    def _ttl(self, ttl: int) -> int:
        return int(ttl) if int(ttl) > 0 else self.window_s
