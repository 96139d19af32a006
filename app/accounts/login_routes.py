"""Sign-up, login with a password, and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import LimiterDep, OptionalUser, ProvidersDep
from app.accounts.pages import client_ip, safe_next
from app.accounts.passwords import MIN_LENGTH
from app.accounts.ratelimit import Blocked, Unavailable
from app.accounts.service import AccountError, authenticate, create_user, record_login
from app.accounts.sessions import end_session, start_session
from app.deps import LangDep, SessionDep, TemplatesDep

router = APIRouter()

FormText = Annotated[str, Form()]


@router.get("/signup", response_class=HTMLResponse, name="signup")
def signup_form(
    request: Request,
    templates: TemplatesDep,
    lang: LangDep,
    providers: ProvidersDep,
    user: OptionalUser,
    next: str = "/",
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _signup_page(request, templates, lang, providers, next=safe_next(next))


@router.post("/signup", response_class=HTMLResponse)
def signup(
    request: Request,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    providers: ProvidersDep,
    name: FormText = "",
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    created = create_user(db, email=email, name=name, password=password)
    if isinstance(created, AccountError):
        db.rollback()
        return _signup_page(
            request,
            templates,
            lang,
            providers,
            next=safe_next(next),
            error=created,
            values={"name": name, "email": email},
            status_code=400,
        )
    record_login(db, created)
    db.commit()
    start_session(request, created)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/login", response_class=HTMLResponse, name="login")
def login_form(
    request: Request,
    templates: TemplatesDep,
    lang: LangDep,
    providers: ProvidersDep,
    user: OptionalUser,
    next: str = "/",
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_page(request, templates, lang, providers, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    providers: ProvidersDep,
    limiter: LimiterDep,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    ip = client_ip(request)
    page_args = {"next": safe_next(next), "email": email}
    verdict = limiter.check(email=email, ip=ip)
    if isinstance(verdict, Blocked):
        return _rate_limited(request, templates, lang, verdict)
    if isinstance(verdict, Unavailable):
        return login_page(
            request,
            templates,
            lang,
            providers,
            problem=verdict.message,
            status_code=503,
            **page_args,
        )
    user = authenticate(db, email=email, password=password)
    if user is None:
        after = limiter.record_failure(email=email, ip=ip)
        if isinstance(after, Blocked):
            return _rate_limited(request, templates, lang, after)
        return login_page(
            request,
            templates,
            lang,
            providers,
            problem="bad_credentials",
            status_code=401,
            **page_args,
        )
    limiter.forget_email(email)
    record_login(db, user)
    db.commit()
    start_session(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    end_session(request)
    return RedirectResponse("/", status_code=303)


def login_page(
    request: Request,
    templates: TemplatesDep,
    lang: str,
    providers: ProvidersDep,
    *,
    next: str = "/",
    email: str = "",
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    """The login form; `problem` is "bad_credentials" or a message to show as it is."""
    page: Response = templates.TemplateResponse(
        request,
        "accounts/login.html",
        {
            "lang": lang,
            "next": next,
            "email": email,
            "problem": problem,
            "providers": providers.buttons(),
        },
        status_code=status_code,
    )
    return page


def _signup_page(
    request: Request,
    templates: TemplatesDep,
    lang: str,
    providers: ProvidersDep,
    *,
    next: str,
    error: AccountError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page: Response = templates.TemplateResponse(
        request,
        "accounts/signup.html",
        {
            "lang": lang,
            "next": next,
            "error": error,
            "values": values or {},
            "min_length": MIN_LENGTH,
            "providers": providers.buttons(),
        },
        status_code=status_code,
    )
    return page


def _rate_limited(
    request: Request, templates: TemplatesDep, lang: str, blocked: Blocked
) -> Response:
    minutes = max(1, -(-blocked.retry_after_s // 60))
    page: Response = templates.TemplateResponse(
        request,
        "accounts/rate_limited.html",
        {"lang": lang, "retry_after_s": blocked.retry_after_s, "minutes": minutes},
        status_code=429,
        headers={"Retry-After": str(blocked.retry_after_s)},
    )
    return page
