"""The account page (profile and personal API tokens) and `GET /api/v1/me`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import select

from app.accounts.deps import CurrentUser
from app.accounts.models import OidcIdentity, User
from app.accounts.service import AccountError
from app.accounts.tokens import NewToken, active_tokens, create_token, revoke_token
from app.api.schemas import COMMON_RESPONSES
from app.deps import LangDep, RowId, SessionDep, TemplatesDep

router = APIRouter()


@router.get("/account", response_class=HTMLResponse, name="account")
def account(
    request: Request, user: CurrentUser, db: SessionDep, templates: TemplatesDep, lang: LangDep
) -> Response:
    notice = request.session.pop("notice", None)
    return _account_page(request, user, db, templates, lang, notice=notice)


@router.post("/account/tokens", response_class=HTMLResponse, name="account_create_token")
def make_token(
    request: Request,
    user: CurrentUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    name: Annotated[str, Form()] = "",
) -> Response:
    made = create_token(db, user, name)
    if isinstance(made, AccountError):
        db.rollback()
        return _account_page(
            request, user, db, templates, lang, error=made, status_code=400, token_name=name
        )
    db.commit()
    # Rendered directly, never redirected: the secret must not be stored anywhere to show later.
    return _account_page(request, user, db, templates, lang, new_token=made, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", name="account_revoke_token")
def revoke(token_id: RowId, user: CurrentUser, db: SessionDep) -> Response:
    result = revoke_token(db, user, token_id)
    if isinstance(result, AccountError):
        raise HTTPException(404, result.message)
    db.commit()
    return RedirectResponse("/account", status_code=303)


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str
    email_verified: bool
    created_at: datetime


@router.get("/api/v1/me", response_model=Me, tags=["accounts"], responses=COMMON_RESPONSES)
def me(user: CurrentUser) -> Me:
    """Who the API token (or browser session) belongs to; `marea` CLI logins check with this."""
    assert user.id is not None
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=str(user.role),
        email_verified=user.email_verified,
        created_at=user.created_at,
    )


def _account_page(
    request: Request,
    user: User,
    db: SessionDep,
    templates: TemplatesDep,
    lang: str,
    *,
    new_token: NewToken | None = None,
    error: AccountError | None = None,
    notice: str | None = None,
    token_name: str = "",
    status_code: int = 200,
) -> Response:
    identities = list(db.exec(select(OidcIdentity).where(OidcIdentity.user_id == user.id)))
    page: Response = templates.TemplateResponse(
        request,
        "accounts/account.html",
        {
            "lang": lang,
            "user": user,
            "tokens": active_tokens(db, user),
            "identities": identities,
            "new_token": new_token,
            "error": error,
            "notice": notice,
            "token_name": token_name,
        },
        status_code=status_code,
    )
    return page
