"""Browser logins kept on the server, so that every one of them can be ended.

Starlette's signed cookie carries only a random 256-bit secret (and the CSRF token);
the `usersession` row it names holds who is signed in, since when, until when, and
whether the session was ended. A cookie copied from a browser therefore stops
working the moment the session is ended: by logging out, from the account page, or
by `end_sessions` when the password, the role or the account's state changes.

Requests that carry no session secret (no cookie, or an anonymous visitor's cookie
with only a CSRF token) never query the database here: the leaderboard and the
public pages are the hot path. A signed-in request reads one row (the session joined
with its user) and writes `last_seen_at` at most once per LAST_SEEN_RESOLUTION.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select
from starlette.requests import Request

from app.accounts.models import User, UserSession
from app.core.db import utcnow
from app.web.security import rotate_csrf_token

SECRET_KEY = "sid"
# How stale the "last seen" time on the account page may be; also how often it is written.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
# Ended and expired rows are kept this long (the account page shows only live ones), then purged.
KEEP_ENDED = timedelta(days=30)
USER_AGENT_CHARS = 400


class EndReason:
    """Why a session ended, as stored in `usersession.end_reason`."""

    logout = "logout"
    ended_by_user = "ended_by_user"  # from the account page
    replaced = "replaced"  # a new login in the same browser
    password = "password"  # the password was set, changed or removed
    role = "role"
    deactivated = "deactivated"
    operator = "operator"  # `marea user logout`


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: UserSession


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def begin_session(
    db: Session, user: User, *, user_agent: str, max_age_s: int, replaces: str | None = None
) -> str:
    """Records a new session for `user` and returns its secret (for the cookie only).

    `replaces` is the secret this browser carried before, whose session ends now: one
    browser holds one session, so a login never leaves an orphan behind that a copy of
    the old cookie could still use.
    """
    assert user.id is not None
    now = utcnow()
    if replaces:
        _end_where(db, now, EndReason.replaced, UserSession.secret_hash == hash_secret(replaces))
    # Keep each user's rows bounded without a background job.
    cutoff = now - KEEP_ENDED
    db.execute(
        delete(UserSession).where(
            col(UserSession.user_id) == user.id,
            or_(col(UserSession.ended_at) < cutoff, col(UserSession.expires_at) < cutoff),
        )
    )
    secret = secrets.token_urlsafe(32)
    db.add(
        UserSession(
            user_id=user.id,
            secret_hash=hash_secret(secret),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=max_age_s),
            user_agent=user_agent[:USER_AGENT_CHARS],
        )
    )
    db.flush()
    return secret


def end_sessions(
    db: Session, user: User, *, reason: str, except_session_id: int | None = None
) -> int:
    """Ends every live session of `user` (but `except_session_id`); how many were ended.

    Called whenever what a session was granted on changes: password, role, deactivation.
    """
    where = [col(UserSession.user_id) == user.id]
    if except_session_id is not None:
        where.append(col(UserSession.id) != except_session_id)
    return _end_where(db, utcnow(), reason, *where)


def end_session_by_id(db: Session, user: User, session_id: int, *, reason: str) -> bool:
    """Ends one of `user`'s live sessions; False when `user` has no live session of that id."""
    ended = _end_where(
        db, utcnow(), reason, col(UserSession.id) == session_id, UserSession.user_id == user.id
    )
    return ended > 0


def live_sessions(db: Session, user: User) -> list[UserSession]:
    query = (
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            col(UserSession.ended_at).is_(None),
            col(UserSession.expires_at) > utcnow(),
        )
        .order_by(col(UserSession.last_seen_at).desc(), col(UserSession.id).desc())
    )
    return list(db.exec(query))


def _end_where(db: Session, now: Any, reason: str, *where: Any) -> int:
    result = db.execute(
        update(UserSession)
        .where(col(UserSession.ended_at).is_(None), *where)
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the cookie side ----------------------------------------------------------------------------


def cookie_secret(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    secret = request.session.get(SECRET_KEY)
    return secret if isinstance(secret, str) and secret else None


def set_session_cookie(request: Request, secret: str) -> None:
    """Signs the browser in, starting from an empty session so nothing from before carries over."""
    request.session.clear()
    request.session[SECRET_KEY] = secret
    rotate_csrf_token(request.session)


def start_session(request: Request, db: Session, user: User, *, max_age_s: int) -> None:
    """begin_session + set_session_cookie; the caller commits."""
    secret = begin_session(
        db,
        user,
        user_agent=request.headers.get("user-agent", ""),
        max_age_s=max_age_s,
        replaces=cookie_secret(request),
    )
    set_session_cookie(request, secret)


def end_session(request: Request, db: Session) -> None:
    """Logs this browser out: its session row ends (so copies of the cookie die too)."""
    secret = cookie_secret(request)
    if secret is not None:
        _end_where(db, utcnow(), EndReason.logout, UserSession.secret_hash == hash_secret(secret))
    request.session.clear()
    rotate_csrf_token(request.session)


def session_user(request: Request, db: Session) -> SignedIn | None:
    """Who this browser's live session belongs to, or None (without a query when no secret)."""
    secret = cookie_secret(request)
    if secret is None:
        return None
    row = db.exec(
        select(UserSession, User)
        .join(User, col(User.id) == UserSession.user_id)
        .where(UserSession.secret_hash == hash_secret(secret))
    ).first()
    now = utcnow()
    if (
        row is None
        or row[0].ended_at is not None
        or row[0].expires_at <= now
        or not row[1].is_active
    ):
        # A dead session: forget its secret, so the browser's cookie is cleaned on this answer.
        request.session.pop(SECRET_KEY, None)
        return None
    live, user = row
    if now - live.last_seen_at > LAST_SEEN_RESOLUTION:
        live.last_seen_at = now
        db.add(live)
        db.flush()
    return SignedIn(user=user, session=live)
