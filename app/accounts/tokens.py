"""Personal API tokens: shown once when made, then known only by their hash.

Tokens are 256 random bits, so a plain SHA-256 is enough to keep them safe at
rest (no salt or slow hash needed: there is nothing to guess) and lets a request
find its token with one indexed lookup.

Each token has a scope (models.TokenScope) chosen when it is made. Tokens are made
and revoked only from a browser session (deps.BrowserUser): a token that could mint
tokens would outlive its own revocation through its children.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from app.accounts.models import ApiToken, TokenScope, User
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _

TOKEN_PREFIX = "marea_"
MAX_ACTIVE_TOKENS = 20
# Writing last_used_at on every API call would make every read a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown to its owner now and never again."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def active_tokens(db: Session, user: User) -> list[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, col(ApiToken.revoked).is_(False))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return list(db.exec(query))


def create_token(
    db: Session, user: User, name: str, scope: TokenScope = TokenScope.submit
) -> NewToken | Refusal:
    """A new token for `user`.

    `scope` defaults to `submit` here, for code that makes tokens (operators' scripts, the
    suites), as before scopes existed; the account page preselects `read` for people.
    """
    name = name.strip()
    if not name:
        return Refusal(
            Kind.invalid,
            field="name",
            message=_("Name the token after where you will use it, e.g. “laptop”."),
        )
    if len(name) > 100:
        return Refusal(
            Kind.invalid,
            field="name",
            message=_("The token name is too long (100 characters at most)."),
        )
    if len(active_tokens(db, user)) >= MAX_ACTIVE_TOKENS:
        return Refusal(
            Kind.invalid,
            field="name",
            message=_("You already have {count} tokens; revoke one you no longer use.").format(
                count=MAX_ACTIVE_TOKENS
            ),
        )
    assert user.id is not None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), scope=scope)
    db.add(token)
    db.flush()
    return NewToken(token=token, secret=secret)


def user_for_token(db: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The active owner of a valid, unrevoked token and the token (noting when it was used)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).first()
    if token is None or token.revoked:
        return None
    user = db.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.add(token)
        db.commit()
    return user, token


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken | Refusal:
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return Refusal(Kind.not_found, _("No token of yours has this number."), field="token")
    token.revoked = True
    db.add(token)
    return token


def revoke_all_tokens(db: Session, user: User) -> int:
    tokens = active_tokens(db, user)
    for token in tokens:
        token.revoked = True
        db.add(token)
    return len(tokens)
