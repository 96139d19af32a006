"""The known-device cookie: proof that this browser logged in to an account before.

After a successful login (or sign-up) the browser gets a signed cookie naming the
account (by digest) with a random nonce. Login attempts that bring it are limited by
their own failures only (see app/accounts/ratelimit.py), so a stranger's wrong
passwords, from anywhere, never keep the owner's own browser out: OWASP's device
cookie defence against lockout. The cookie is not a credential (the password is still
needed), so a stolen one buys a guesser no more than `per_email` tries per window.

It is separate from the session cookie so that logging out keeps it, and it is signed
with the site's secret key, so it cannot be forged for an account it was not given for.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from app.accounts.ratelimit import email_digest

COOKIE = "marea_device"
MAX_AGE_S = 180 * 24 * 3600
# A shared computer at a hackathon may be used for a few accounts; the oldest is dropped.
MAX_ACCOUNTS = 5


class KnownDevices:
    def __init__(self, secret_key: str, *, https: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="marea-known-device")
        self._https = https

    def nonce_for(self, request: Request, email: str) -> str | None:
        """This browser's nonce for the account, when it logged in to it before."""
        return self._entries(request).get(email_digest(email)[:32])

    def remember(self, request: Request, response: Response, email: str) -> None:
        """Marks this browser as known to the account (a new nonce the first time)."""
        entries = self._entries(request)
        account = email_digest(email)[:32]
        nonce = entries.pop(account, None) or secrets.token_urlsafe(16)
        kept = [(account, nonce), *entries.items()][:MAX_ACCOUNTS]
        response.set_cookie(
            COOKIE,
            self._serializer.dumps([list(pair) for pair in kept]),
            max_age=MAX_AGE_S,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self._https,
        )

    def _entries(self, request: Request) -> dict[str, str]:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return {}
        try:
            loaded = self._serializer.loads(raw, max_age=MAX_AGE_S)
        except BadSignature:
            return {}
        entries: dict[str, str] = {}
        if isinstance(loaded, list):
            for pair in loaded:
                if (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(part, str) for part in pair)
                ):
                    entries[pair[0]] = pair[1]
        return entries
