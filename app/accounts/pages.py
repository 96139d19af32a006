"""The account page: profile, API tokens, sessions (`GET /api/v1/me` is in app/api/accounts.py).

Everything here but `/api/v1/me` takes a browser session only (BrowserUser): an API
token that could make tokens would outlive its own revocation through the tokens it
made, and one that could end sessions could lock its owner out of their own account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from app.accounts.deps import (
    BrowserUser,
    SessionCredential,
    credential_of,
)
from app.accounts.models import OidcIdentity, TokenScope, User
from app.accounts.sessions import EndReason, end_session, end_session_by_id, end_sessions
from app.accounts.sessions import live_sessions as list_live_sessions
from app.accounts.tokens import NewToken, active_tokens, create_token, revoke_token
from app.accounts.useragents import device_label
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.web.deps import RowId, SessionDep
from app.web.errors import status_of, unwrap
from app.web.page import Page, PageDep

router = APIRouter()


@router.get("/account", response_class=HTMLResponse, name="account")
def account(user: BrowserUser, db: SessionDep, page: PageDep) -> Response:
    notice = page.request.session.pop("notice", None)
    ended = page.request.session.pop("notice_count", 0)
    return _account_page(page, user, db, notice=notice, ended=ended)


@router.post("/account/tokens", response_class=HTMLResponse, name="account_create_token")
def make_token(
    user: BrowserUser,
    db: SessionDep,
    page: PageDep,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = TokenScope.read.value,
) -> Response:
    if scope not in {s.value for s in TokenScope}:
        made: NewToken | Refusal = Refusal(
            Kind.invalid,
            field="scope",
            message=_("Choose what the token may do: read, or read and submit."),
        )
    else:
        made = create_token(db, user, name, TokenScope(scope))
    if isinstance(made, Refusal):
        db.rollback()
        return _account_page(
            page,
            user,
            db,
            error=made,
            status_code=status_of(made),
            token_name=name,
            token_scope=scope,
        )
    db.commit()
    # Rendered directly, never redirected: the secret must not be stored anywhere to show later.
    return _account_page(page, user, db, new_token=made, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", name="account_revoke_token")
def revoke(token_id: RowId, user: BrowserUser, db: SessionDep) -> Response:
    result = revoke_token(db, user, token_id)
    unwrap(result)  # 404 for a token that is not yours
    db.commit()
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/{session_id}/end", name="account_end_session")
def end_one_session(
    request: Request, session_id: RowId, user: BrowserUser, db: SessionDep
) -> Response:
    """Ends one of your sessions; ending this browser's own is logging out."""
    current = credential_of(request)
    if isinstance(current, SessionCredential) and current.session_id == session_id:
        end_session(request, db)
        db.commit()
        return RedirectResponse("/", status_code=303)
    if not end_session_by_id(db, user, session_id, reason=EndReason.ended_by_user):
        raise HTTPException(404, "No live session of yours has this number.")
    db.commit()
    request.session["notice"] = "session_ended"
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/end-others", name="account_end_other_sessions")
def end_other_sessions(request: Request, user: BrowserUser, db: SessionDep) -> Response:
    """ "Log out everywhere else": every session but this browser's ends."""
    current = credential_of(request)
    keep = current.session_id if isinstance(current, SessionCredential) else None
    ended = end_sessions(db, user, reason=EndReason.ended_by_user, except_session_id=keep)
    db.commit()
    request.session["notice"] = "others_ended"
    request.session["notice_count"] = ended
    return RedirectResponse("/account", status_code=303)


def _account_page(
    page: Page,
    user: User,
    db: Session,
    *,
    new_token: NewToken | None = None,
    error: Refusal | None = None,
    notice: str | None = None,
    ended: int = 0,
    token_name: str = "",
    token_scope: str = TokenScope.read.value,
    status_code: int = 200,
) -> Response:
    identities = list(db.exec(select(OidcIdentity).where(OidcIdentity.user_id == user.id)))
    current = credential_of(page.request)
    sessions = [
        {
            "id": s.id,
            "device": device_label(s.user_agent),
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "current": isinstance(current, SessionCredential) and current.session_id == s.id,
        }
        for s in list_live_sessions(db, user)
    ]
    return page.render(
        "accounts/account.html",
        {
            "user": user,
            "tokens": active_tokens(db, user),
            "sessions": sessions,
            "others": sum(1 for s in sessions if not s["current"]),
            "identities": identities,
            "new_token": new_token,
            "error": error,
            "notice": notice,
            "ended": ended,
            "token_name": token_name,
            "token_scope": token_scope,
        },
        status=status_code,
    )
