"""Sign-up, login with a password, and logout (see ratelimit.py for who is slowed, and how)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import (
    DevicesDep,
    LimiterDep,
    OptionalUser,
    ProvidersDep,
    SignupLimiterDep,
)
from app.accounts.oidc import OidcProviders
from app.accounts.passwords import MIN_LENGTH
from app.accounts.ratelimit import Blocked, Unavailable
from app.accounts.recovery import verification_mail
from app.accounts.requests import client_ip, safe_next
from app.accounts.service import authenticate, create_user, record_login
from app.accounts.sessions import end_session, start_session
from app.core.refusal import Kind, Refusal
from app.queue.mail_jobs import wake
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter()

FormText = Annotated[str, Form()]


@router.get("/signup", response_class=HTMLResponse, name="signup")
def signup_form(
    page: PageDep,
    providers: ProvidersDep,
    user: OptionalUser,
    next: str = "/",
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _signup_page(page, providers, next=safe_next(next))


@router.post("/signup", response_class=HTMLResponse)
def signup(
    request: Request,
    db: SessionDep,
    page: PageDep,
    providers: ProvidersDep,
    limiter: SignupLimiterDep,
    devices: DevicesDep,
    settings: SettingsDep,
    name: FormText = "",
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    ip = client_ip(request)
    verdict = limiter.check(ip=ip)
    if isinstance(verdict, Blocked):
        return rate_limited(page, verdict, what="signup")
    values = {"name": name, "email": email}
    if isinstance(verdict, Unavailable):
        return _signup_page(
            page,
            providers,
            next=safe_next(next),
            error=Refusal(Kind.unavailable, verdict.message, field="email"),
            values=values,
            status_code=503,
        )
    created = create_user(db, email=email, name=name, password=password)
    if isinstance(created, Refusal):
        db.rollback()
        # Every refusal counts, whatever its reason, so probing addresses in bulk is slow.
        after = limiter.record_refusal(ip=ip)
        if isinstance(after, Blocked):
            return rate_limited(page, after, what="signup")
        return _signup_page(
            page,
            providers,
            next=safe_next(next),
            error=created,
            values=values,
            status_code=status_of(created),
        )
    created.language = page.lang  # the language mail to this account speaks
    record_login(db, created)
    start_session(request, db, created, max_age_s=settings.session_max_age_s)
    mail = verification_mail(db, settings, created)
    db.commit()
    wake(settings, [mail])
    response = RedirectResponse(safe_next(next), status_code=303)
    devices.remember(request, response, created.email)
    return response


@router.get("/login", response_class=HTMLResponse, name="login")
def login_form(
    page: PageDep,
    providers: ProvidersDep,
    user: OptionalUser,
    next: str = "/",
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_page(page, providers, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: SessionDep,
    page: PageDep,
    providers: ProvidersDep,
    limiter: LimiterDep,
    devices: DevicesDep,
    settings: SettingsDep,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    ip = client_ip(request)
    device = devices.nonce_for(request, email)
    page_args = {"next": safe_next(next), "email": email}
    verdict = limiter.check(email=email, ip=ip, device=device)
    if isinstance(verdict, Blocked):
        return rate_limited(page, verdict, what="login")
    if isinstance(verdict, Unavailable):
        return login_page(
            page,
            providers,
            problem=verdict.message,
            status_code=503,
            **page_args,
        )
    user = authenticate(db, email=email, password=password)
    if user is None:
        after = limiter.record_failure(email=email, ip=ip, device=device)
        if isinstance(after, Blocked):
            return rate_limited(page, after, what="login")
        return login_page(
            page,
            providers,
            problem="bad_credentials",
            status_code=401,
            **page_args,
        )
    limiter.forget(email=email, ip=ip, device=device)
    record_login(db, user)
    start_session(request, db, user, max_age_s=settings.session_max_age_s)
    db.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    devices.remember(request, response, user.email)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, db: SessionDep) -> Response:
    end_session(request, db)
    db.commit()
    return RedirectResponse("/", status_code=303)


def login_page(
    page: Page,
    providers: OidcProviders,
    *,
    next: str = "/",
    email: str = "",
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    """The login form; `problem` is "bad_credentials" or a message to show as it is."""
    return page.render(
        "accounts/login.html",
        {
            "next": next,
            "email": email,
            "problem": problem,
            "providers": providers.buttons(),
        },
        status=status_code,
    )


def _signup_page(
    page: Page,
    providers: OidcProviders,
    *,
    next: str,
    error: Refusal | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page.render(
        "accounts/signup.html",
        {
            "next": next,
            "error": error,
            "values": values or {},
            "min_length": MIN_LENGTH,
            "providers": providers.buttons(),
        },
        status=status_code,
    )


def rate_limited(page: Page, blocked: Blocked, *, what: str) -> Response:
    """429 with Retry-After; `what` is "login", "signup" or "mail" (asking for mail)."""
    minutes = max(1, -(-blocked.retry_after_s // 60))
    return page.render(
        "accounts/rate_limited.html",
        {
            "retry_after_s": blocked.retry_after_s,
            "minutes": minutes,
            "what": what,
        },
        status=429,
        headers={"Retry-After": str(blocked.retry_after_s)},
    )
