"""Typed dependencies that say who may call a route.

    def page(user: CurrentUser): ...            # signed in (browser) or Bearer token (API)
    def page(user: OptionalUser): ...           # anyone; user is None when anonymous
    def page(user: OrganiserUser): ...          # organiser or admin
    def page(user: Annotated[User, Depends(require_role(Role.judge))]): ...

An `Authorization: Bearer` header, when present, is the only credential looked
at: a wrong token is a 401 even if a session cookie is also sent, so API calls
never ride on a browser session (and CSRF checks can skip them safely).
Anonymous callers get a 401 JSON error under /api/ and a redirect to the login
page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request

from app.accounts.models import Role, User
from app.accounts.oidc import OidcProviders
from app.accounts.ratelimit import LoginLimiter
from app.accounts.service import role_at_least
from app.accounts.sessions import session_user
from app.accounts.tokens import user_for_token
from app.deps import SessionDep

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="marea"'}


class LoginRequired(Exception):
    """Raised for an anonymous visitor on a page; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    def login_url(self) -> str:
        return "/login?" + urlencode({"next": self.next_path})


def get_optional_user(request: Request, db: SessionDep) -> User | None:
    cached = getattr(request.state, "user", None)
    if isinstance(cached, User):
        return cached
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise HTTPException(
                401, "Send your API token as `Authorization: Bearer <token>`.", BEARER_CHALLENGE
            )
        user = user_for_token(db, secret.strip())
        if user is None:
            raise HTTPException(
                401,
                "This API token is not valid (revoked, mistyped or its account is disabled); "
                "make a new one on your account page.",
                BEARER_CHALLENGE,
            )
    else:
        user = session_user(request, db)
    request.state.user = user
    # Finding the user only read (or noted a token's use): end that transaction now, so the
    # request holds no pooled connection while its route opens sessions of its own. Holding
    # it made a burst of uploads wait on each other for the pool and fail with 500s.
    db.commit()
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(request: Request, user: OptionalUser) -> User:
    if user is not None:
        return user
    if request.url.path.startswith("/api/"):
        raise HTTPException(
            401, "Log in first: send `Authorization: Bearer <token>`.", BEARER_CHALLENGE
        )
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(path)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(role: Role) -> Callable[[User], User]:
    """A dependency admitting users with `role` or a higher one (403 otherwise)."""

    def check(user: CurrentUser) -> User:
        if not role_at_least(user.role, role):
            raise HTTPException(403, f"Only a {role.value} (or higher) may do this.")
        return user

    return check


JudgeUser = Annotated[User, Depends(require_role(Role.judge))]
OrganiserUser = Annotated[User, Depends(require_role(Role.organiser))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]


def get_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


def get_providers(request: Request) -> OidcProviders:
    providers: OidcProviders = request.app.state.oidc_providers
    return providers


LimiterDep = Annotated[LoginLimiter, Depends(get_limiter)]
ProvidersDep = Annotated[OidcProviders, Depends(get_providers)]
