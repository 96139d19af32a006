"""Logging in through an OpenID Connect provider (authorization code flow with PKCE)."""

from __future__ import annotations

from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine

from app.accounts.deps import DevicesDep, ProvidersDep
from app.accounts.identities import OidcLogin, ProviderClaims, login_with_provider
from app.accounts.login_pages import login_page
from app.accounts.oidc import OidcProviders, same_issuer
from app.accounts.requests import safe_next
from app.accounts.service import record_login
from app.accounts.sessions import begin_session, cookie_secret, set_session_cookie
from app.core.db import session_scope
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.web.deps import EngineDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter()

NEXT_KEY = "oidc_next"


@router.get("/login/oidc/{name}", name="oidc_login")
async def oidc_login(
    request: Request,
    name: str,
    providers: ProvidersDep,
    page: PageDep,
    next: str = "/",
) -> Response:
    client = _client(providers, name)
    request.session[NEXT_KEY] = safe_next(next)
    try:
        redirect: Response = await client.authorize_redirect(request, providers.redirect_uri(name))
    except (httpx.HTTPError, AuthlibBaseError, ValueError, KeyError) as exc:
        return _failed(page, providers, name, exc)
    return redirect


@router.get("/login/oidc/{name}/callback", name="oidc_callback")
async def oidc_callback(
    request: Request,
    name: str,
    providers: ProvidersDep,
    page: PageDep,
    devices: DevicesDep,
    settings: SettingsDep,
    engine: EngineDep,
) -> Response:
    client = _client(providers, name)
    config = providers.config(name)
    assert config is not None
    try:
        token: dict[str, Any] = await client.authorize_access_token(request)
        metadata: dict[str, Any] = await client.load_server_metadata()
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise ValueError("the provider sent no ID token")
        if "email" not in claims:
            # Providers may keep email claims out of the ID token and serve them at userinfo.
            extra = dict(await client.userinfo(token=token))
            if extra.get("sub") != claims.get("sub"):
                raise ValueError("userinfo describes a different person than the ID token")
            claims = {**extra, **claims}
    except (httpx.HTTPError, AuthlibBaseError, ValueError, KeyError) as exc:
        return _failed(page, providers, name, exc)
    issuer = str(metadata.get("issuer", ""))
    if not same_issuer(issuer, config.issuer) or not same_issuer(str(claims.get("iss")), issuer):
        return _failed(
            page,
            providers,
            name,
            ValueError(f"issuer {issuer!r} is not the configured {config.issuer!r}"),
        )
    provider_claims = ProviderClaims(
        issuer=config.issuer.rstrip("/"),
        subject=str(claims["sub"]),
        email=str(claims["email"]) if claims.get("email") else None,
        # Some providers send the boolean as a string.
        email_verified=claims.get("email_verified") in (True, "true"),
        name=str(claims["name"]) if claims.get("name") else None,
    )
    result = await run_in_threadpool(_login, request, settings, engine, provider_claims)
    if isinstance(result, Refusal):
        return login_page(page, providers, problem=result.message, status_code=status_of(result))
    login, secret = result
    next_path = safe_next(request.session.get(NEXT_KEY))
    set_session_cookie(request, secret)
    if login.password_removed:
        request.session["notice"] = "password_removed"
        next_path = "/account"
    response = RedirectResponse(next_path, status_code=303)
    devices.remember(request, response, login.user.email)
    return response


def _login(
    request: Request, settings: Settings, engine: Engine, claims: ProviderClaims
) -> tuple[OidcLogin, str] | Refusal:
    """The provider login and its new session's secret, in one transaction."""
    with session_scope(engine) as db:
        result = login_with_provider(db, claims)
        if isinstance(result, Refusal):
            db.rollback()
            return result
        record_login(db, result.user)
        secret = begin_session(
            db,
            result.user,
            user_agent=request.headers.get("user-agent", ""),
            max_age_s=settings.session_max_age_s,
            replaces=cookie_secret(request),
        )
        return result, secret


def _client(providers: OidcProviders, name: str) -> Any:
    if providers.config(name) is None:
        raise HTTPException(404, f"No login provider is called {name!r}.")
    return providers.client(name)


def _failed(page: Page, providers: OidcProviders, name: str, exc: Exception) -> Response:
    config = providers.config(name)
    label = (config.label or config.name) if config else name
    message = f"Logging in with {label} did not work: {exc}. Try again, or log in another way."
    return login_page(page, providers, problem=message, status_code=502)
