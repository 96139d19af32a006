"""Who is signed in to a browser session, kept in Starlette's signed session cookie.

The cookie holds the user id and a stamp derived from the user's credentials.
The cookie is signed, not stored server-side, so it cannot be revoked one by
one; the stamp makes every session of a user end when their password changes,
is removed, or the account is deactivated.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from app.accounts.models import User
from app.security import rotate_csrf_token

USER_KEY = "user_id"
STAMP_KEY = "user_stamp"


def auth_stamp(user: User) -> str:
    material = f"{user.id}:{user.password_hash or ''}:{user.is_active}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def start_session(request: Request, user: User) -> None:
    """Signs `user` in, starting from an empty session so nothing from before carries over."""
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[STAMP_KEY] = auth_stamp(user)
    rotate_csrf_token(request.session)


def end_session(request: Request) -> None:
    request.session.clear()
    rotate_csrf_token(request.session)


def session_user(request: Request, db: Session) -> User | None:
    """The signed-in user, or None when nobody is or the session no longer matches the account."""
    if "session" not in request.scope:
        return None
    session: dict[str, Any] = request.session
    user_id = session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = db.get(User, user_id)
    if user is None or not user.is_active or session.get(STAMP_KEY) != auth_stamp(user):
        return None
    return user
