"""Counting failed logins and refused sign-ups in Redis, so guessing is slow for strangers only.

Login failures are counted so that a stranger's failures never lock the owner out:

- a browser that has logged in to the account before carries a signed known-device
  cookie (app/accounts/devices.py); its attempts are limited only by the failures
  made *with that cookie* (`per_email` in the window), whatever others do;
- any other attempt is limited by the failures for that account from that client
  address (`per_email`) and by all failures from that address (`per_ip`, against
  trying one password on many accounts). Both are refused with the time left;
- failures for the account from every address without its cookie (a guesser spread
  over many addresses) only *slow* it: past `per_email` of them, each failure makes
  the next attempt without the cookie wait 1, 2, 4... seconds, at most `throttle_max_s`.
  The owner on a new device waits at most that long; the guesser gets a few dozen
  tries per window instead of thousands.

Every count lives in a key that expires `window_s` after its first failure (INCR +
EXPIRE NX in one transaction, so concurrent workers never lose a count or leave a key
immortal). Keys hold digests, never the addresses people typed. A refusal is a 429
with Retry-After; when Redis is away nothing can be counted and logins are refused.

Sign-ups refused (an address already in use, or a form mistake) are counted per client
address in the same way, so addresses cannot be tried in bulk to learn which exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass

import redis

from app.accounts.service import normalise_email
from app.i18n.speech import gettext as _

log = logging.getLogger(__name__)

PREFIX = "marea:login"
SIGNUP_PREFIX = "marea:signup"


@dataclass(frozen=True)
class Allowed:
    pass


@dataclass(frozen=True)
class Blocked:
    """Too many failures: try again in `retry_after_s` seconds."""

    retry_after_s: int


@dataclass(frozen=True)
class Unavailable:
    """Redis cannot be reached, so failures cannot be counted: the attempt is refused."""

    message: str


Verdict = Allowed | Blocked | Unavailable


def email_digest(email: str) -> str:
    """The account's name in Redis keys and in the known-device cookie."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _unavailable(what: str, exc: redis.RedisError) -> Unavailable:
    """What the person reads (in their language); the engine's own error goes to the log."""
    log.warning("%s paused: the rate limiter cannot reach Redis: %s", what, exc)
    if what == "Login":
        return Unavailable(
            _("Login is paused: the rate limiter cannot reach Redis. Try again in a minute.")
        )
    return Unavailable(
        _("Sign-up is paused: the rate limiter cannot reach Redis. Try again in a minute.")
    )


class LoginLimiter:
    def __init__(
        self,
        client: redis.Redis,
        *,
        per_email: int,
        per_ip: int,
        window_s: int,
        throttle_max_s: int,
    ) -> None:
        self.client = client
        self.per_email = per_email
        self.per_ip = per_ip
        self.window_s = window_s
        self.throttle_max_s = throttle_max_s

    def check(self, *, email: str, ip: str, device: str | None) -> Verdict:
        """Whether a login for `email` from `ip` may be tried now.

        `device` is this browser's known-device nonce for the account, when it has one.
        """
        account = email_digest(email)
        counted = self._counted(account, ip, device)
        try:
            pipe = self.client.pipeline(transaction=False)
            for key, _ in counted:
                pipe.get(key)
                pipe.ttl(key)
            if device is None:
                pipe.ttl(self._wait_key(account))
            replies = pipe.execute()
        except redis.RedisError as exc:
            return _unavailable("Login", exc)
        counts, ttls = replies[0 : 2 * len(counted) : 2], replies[1 : 2 * len(counted) : 2]
        waits = [
            self._ttl(ttl)
            for (_, limit), count, ttl in zip(counted, counts, ttls, strict=True)
            if count is not None and int(count) >= limit
        ]
        if device is None and int(replies[-1]) > 0:
            waits.append(int(replies[-1]))
        return Blocked(max(waits)) if waits else Allowed()

    def record_failure(self, *, email: str, ip: str, device: str | None) -> Verdict:
        """Counts one failure; the verdict says whether the next attempt will be refused."""
        account = email_digest(email)
        counted = self._counted(account, ip, device)
        keys = [key for key, _ in counted]
        if device is None:
            keys.append(self._account_key(account))
        try:
            pipe = self.client.pipeline(transaction=True)
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                pipe.ttl(key)
            replies = pipe.execute()
            counts = [int(c) for c in replies[0::3]]
            ttls = [self._ttl(t) for t in replies[2::3]]
            pause = 0
            if device is None and counts[-1] >= self.per_email:
                pause = min(self.throttle_max_s, 2 ** min(counts[-1] - self.per_email, 30))
                self.client.set(self._wait_key(account), 1, ex=max(1, pause))
        except redis.RedisError as exc:
            return _unavailable("Login", exc)
        waits = [
            ttl
            for (_, limit), count, ttl in zip(counted, counts, ttls, strict=False)
            if count >= limit
        ]
        if pause:
            waits.append(pause)
        return Blocked(max(waits)) if waits else Allowed()

    def forget(self, *, email: str, ip: str, device: str | None) -> None:
        """A correct password clears the counts of this client for this account.

        Not the address's count (others may share it) nor the account-wide one (it is
        the guessers' count, and the owner logging in must not reset their pace).
        """
        account = email_digest(email)
        keys = [self._pair_key(account, ip)]
        if device is not None:
            keys.append(self._device_key(device))
        # The keys expire on their own; a successful login must not fail for this.
        with contextlib.suppress(redis.RedisError):
            self.client.delete(*keys)

    def _counted(self, account: str, ip: str, device: str | None) -> list[tuple[str, int]]:
        """The hard limits that apply to this attempt: (key, limit)."""
        if device is not None:
            return [(self._device_key(device), self.per_email)]
        return [(self._pair_key(account, ip), self.per_email), (f"{PREFIX}:ip:{ip}", self.per_ip)]

    @staticmethod
    def _pair_key(account: str, ip: str) -> str:
        return f"{PREFIX}:pair:{account}:{ip}"

    @staticmethod
    def _account_key(account: str) -> str:
        return f"{PREFIX}:account:{account}"

    @staticmethod
    def _wait_key(account: str) -> str:
        return f"{PREFIX}:wait:{account}"

    @staticmethod
    def _device_key(device: str) -> str:
        return f"{PREFIX}:device:{hashlib.sha256(device.encode()).hexdigest()}"

    def _ttl(self, ttl: int) -> int:
        return int(ttl) if int(ttl) > 0 else self.window_s


class SignupLimiter:
    """Refused sign-ups per client address: `per_ip` in `window_s`, then 429."""

    def __init__(self, client: redis.Redis, *, per_ip: int, window_s: int) -> None:
        self.client = client
        self.per_ip = per_ip
        self.window_s = window_s

    def check(self, *, ip: str) -> Verdict:
        key = self._key(ip)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(key)
            pipe.ttl(key)
            count, ttl = pipe.execute()
        except redis.RedisError as exc:
            return _unavailable("Sign-up", exc)
        if count is not None and int(count) >= self.per_ip:
            return Blocked(int(ttl) if int(ttl) > 0 else self.window_s)
        return Allowed()

    def record_refusal(self, *, ip: str) -> Verdict:
        key = self._key(ip)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, self.window_s, nx=True)
            pipe.ttl(key)
            count, _, ttl = pipe.execute()
        except redis.RedisError as exc:
            return _unavailable("Sign-up", exc)
        if int(count) >= self.per_ip:
            return Blocked(int(ttl) if int(ttl) > 0 else self.window_s)
        return Allowed()

    @staticmethod
    def _key(ip: str) -> str:
        return f"{SIGNUP_PREFIX}:refused:{ip}"


@dataclass(frozen=True)
class Quiet:
    """This address was sent enough mail for now: answer as usual, but send nothing more."""


MAIL_PREFIX = "marea:mailreq"


class MailRequestLimiter:
    """Requests that send mail (password resets, verification links): per client address
    `per_ip` in `window_s`, then 429; per e-mail address `per_address`, then nothing is sent
    but the answer stays the same, so nobody can flood a mailbox nor learn from a refusal
    whether an address has an account (a refusal per address would come for any address)."""

    def __init__(
        self, client: redis.Redis, *, per_ip: int, per_address: int, window_s: int
    ) -> None:
        self.client = client
        self.per_ip = per_ip
        self.per_address = per_address
        self.window_s = window_s

    def hit(self, *, ip: str, address: str) -> Allowed | Blocked | Quiet | Unavailable:
        keys = [f"{MAIL_PREFIX}:ip:{ip}", f"{MAIL_PREFIX}:address:{email_digest(address)}"]
        try:
            pipe = self.client.pipeline(transaction=True)
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                pipe.ttl(key)
            ip_count, _, ip_ttl, address_count, _, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("mail requests paused: the rate limiter cannot reach Redis: %s", exc)
            return Unavailable(
                _(
                    "Sending mail is paused: the rate limiter cannot reach Redis. Try again in a minute."
                )
            )
        if int(ip_count) > self.per_ip:
            return Blocked(int(ip_ttl) if int(ip_ttl) > 0 else self.window_s)
        if int(address_count) > self.per_address:
            return Quiet()
        return Allowed()
