"""Wires accounts into the app: login routes, limiters, the templates' session helpers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlmodel import Session

from app.accounts.deps import LoginRequired, SessionCredential
from app.accounts.devices import KnownDevices
from app.accounts.login_pages import router as login_router
from app.accounts.models import Role, User
from app.accounts.oidc import OidcProviders
from app.accounts.oidc_pages import router as oidc_router
from app.accounts.pages import router as account_router
from app.accounts.ratelimit import LoginLimiter, MailRequestLimiter, SignupLimiter
from app.accounts.recovery_pages import router as recovery_router
from app.accounts.service import role_at_least
from app.accounts.sessions import session_user
from app.core.redis import redis_client
from app.core.settings import Settings
from app.roles.service import Scope, scope_of
from app.web.security import csrf_input, csrf_token

SESSION_COOKIE = "marea_session"


def install_accounts(app: FastAPI, settings: Settings) -> None:
    """The account routes, their limiters and template helpers (the session, CSRF and header
    middleware are installed with the others, in one place: `app.main.install_middleware`)."""
    https = settings.base_url.startswith("https://")
    limits = redis_client(settings)
    app.state.login_limiter = LoginLimiter(
        limits,
        per_email=settings.login_failures_per_email,
        per_ip=settings.login_failures_per_ip,
        window_s=settings.login_window_s,
        throttle_max_s=settings.login_throttle_max_s,
    )
    app.state.signup_limiter = SignupLimiter(
        limits, per_ip=settings.signup_refusals_per_ip, window_s=settings.signup_window_s
    )
    app.state.mail_limiter = MailRequestLimiter(
        limits,
        per_ip=settings.mail_requests_per_ip,
        per_address=settings.mail_requests_per_address,
        window_s=settings.mail_requests_window_s,
    )
    app.state.known_devices = KnownDevices(settings.resolved_secret_key(), https=https)
    app.state.oidc_providers = OidcProviders(settings.oidc_providers, settings.base_url)

    env = app.state.templates.env
    env.globals["csrf_input"] = csrf_input
    env.globals["csrf_token"] = csrf_token
    env.globals["signed_in_user"] = signed_in_user
    env.globals["staff_menu"] = staff_menu

    app.include_router(login_router)
    app.include_router(oidc_router)
    app.include_router(account_router)
    app.include_router(recovery_router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(exc.login_url(), status_code=303)


@pass_context
def signed_in_user(context: Context) -> User | None:
    """Jinja global for the navigation bar: who is signed in, if anyone."""
    request: Request | None = context.get("request")
    if request is None:
        return None
    cached = getattr(request.state, "user", None)
    if isinstance(cached, User):
        return cached
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        signed_in = session_user(request, db)
        db.commit()  # last_seen_at, when it was due
    if signed_in is None:
        return None
    assert signed_in.session.id is not None
    request.state.user = signed_in.user
    request.state.credential = SessionCredential(signed_in.session.id)
    return signed_in.user


@pass_context
def staff_menu(context: Context) -> tuple[bool, bool]:
    """Jinja global for the navigation bar: (judges something, runs something).

    Site judges, organisers and admins need no query; anyone else may hold a role over an
    event or a challenge (app.roles), read here once per page.
    """
    request: Request | None = context.get("request")
    user = signed_in_user(context)
    if request is None or user is None:
        return False, False
    scope = getattr(request.state, "scope", None)
    if not isinstance(scope, Scope):
        if role_at_least(user.role, Role.organiser):
            return True, True
        with Session(request.app.state.engine, expire_on_commit=False) as db:
            scope = scope_of(db, user)
        request.state.scope = scope
    return scope.judges_something or scope.organises_something, scope.organises_something
