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
    DevicesDep,
    LimiterDep,
    MailLimiterDep,
    SessionCredential,
    credential_of,
)
from app.accounts.models import OidcIdentity, TokenScope, User
from app.accounts.passwords import MIN_LENGTH
from app.accounts.ratelimit import Blocked, Quiet, Unavailable
from app.accounts.recovery import (
    address_change_mail,
    change_password,
    new_address_problem,
    password_changed_mail,
    verification_mail,
)
from app.accounts.requests import client_ip
from app.accounts.sessions import EndReason, end_session, end_session_by_id, end_sessions
from app.accounts.sessions import live_sessions as list_live_sessions
from app.accounts.tokens import NewToken, active_tokens, create_token, revoke_token
from app.accounts.useragents import device_label
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.i18n.speech import gettext as _
from app.mail.models import OutboxMail
from app.notifications.service import choices as notification_choices
from app.notifications.words import notice_label
from app.queue.mail_jobs import wake
from app.web.deps import RowId, SessionDep, SettingsDep
from app.web.errors import status_of, unwrap
from app.web.page import Page, PageDep

router = APIRouter()


@router.get("/account", response_class=HTMLResponse, name="account")
def account(user: BrowserUser, db: SessionDep, page: PageDep) -> Response:
    notice = page.request.session.pop("notice", None)
    ended = page.request.session.pop("notice_count", 0)
    address = page.request.session.pop("notice_address", "")
    return _account_page(page, user, db, notice=notice, ended=ended, address=address)


@router.post("/account/verify", name="account_send_verification")
def send_verification(
    request: Request,
    user: BrowserUser,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    limiter: MailLimiterDep,
) -> Response:
    """Sends the verification link again (counted like every request for mail)."""
    if user.email_verified:
        request.session["notice"] = "already_verified"
        return RedirectResponse("/account", status_code=303)
    verdict = limiter.hit(ip=client_ip(request), address=user.email)
    if refused := _mail_refused(page, user, db, verdict):
        return refused
    mail = None if isinstance(verdict, Quiet) else verification_mail(db, settings, user)
    db.commit()
    _wake(settings, mail)
    request.session["notice"] = "verification_sent"
    request.session["notice_address"] = user.email
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", response_class=HTMLResponse, name="account_change_password")
def password(
    request: Request,
    user: BrowserUser,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    devices: DevicesDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """A new password, proven by the current one; every other session of the account ends.

    Wrong current passwords count as failed logins of the account (the login limiter), so a
    borrowed session cannot be used to guess the password.
    """
    ip = client_ip(request)
    device = devices.nonce_for(request, user.email)
    verdict = limiter.check(email=user.email, ip=ip, device=device)
    if isinstance(verdict, Blocked | Unavailable):
        return _account_page(
            page, user, db, error=_limited(verdict, "current_password"), status_code=429
        )
    current = credential_of(request)
    keep = current.session_id if isinstance(current, SessionCredential) else None
    ended = change_password(db, user, current=current_password, new=new_password, keep_session=keep)
    if isinstance(ended, Refusal):
        db.rollback()
        if ended.field == "current_password":
            limiter.record_failure(email=user.email, ip=ip, device=device)
        return _account_page(page, user, db, error=ended, status_code=status_of(ended))
    mail = password_changed_mail(db, settings, user)
    db.commit()
    _wake(settings, mail)
    request.session["notice"] = "password_changed"
    request.session["notice_count"] = ended
    return RedirectResponse("/account", status_code=303)


@router.post("/account/email", response_class=HTMLResponse, name="account_change_email")
def change_email(
    request: Request,
    user: BrowserUser,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    limiter: MailLimiterDep,
    logins: LimiterDep,
    devices: DevicesDep,
    new_email: Annotated[str, Form()] = "",
    address_password: Annotated[str, Form()] = "",
) -> Response:
    """A link to the new address; the account moves to it only when the link is used.

    The answer is the same whether another account has the address or not (it then gets
    no mail), so the form tells nobody which addresses have accounts. A wrong password
    counts as a failed login, as on the password form.
    """
    ip = client_ip(request)
    device = devices.nonce_for(request, user.email)
    checked = logins.check(email=user.email, ip=ip, device=device)
    if isinstance(checked, Blocked | Unavailable):
        return _account_page(
            page, user, db, error=_limited(checked, "address_password"), status_code=429
        )
    email = new_address_problem(db, user, new_email, address_password)
    if isinstance(email, Refusal):
        if email.field == "address_password":
            logins.record_failure(email=user.email, ip=ip, device=device)
        return _account_page(
            page, user, db, error=email, status_code=status_of(email), new_email=new_email
        )
    verdict = limiter.hit(ip=ip, address=email)
    if refused := _mail_refused(page, user, db, verdict):
        return refused
    mail = None if isinstance(verdict, Quiet) else address_change_mail(db, settings, user, email)
    db.commit()
    _wake(settings, mail)
    request.session["notice"] = "email_change_sent"
    request.session["notice_address"] = email
    return RedirectResponse("/account", status_code=303)


def _wake(settings: Settings, mail: OutboxMail | None) -> None:
    if mail is not None:
        wake(settings, [mail])


def _limited(verdict: Blocked | Unavailable, field: str) -> Refusal:
    if isinstance(verdict, Unavailable):
        return Refusal(Kind.unavailable, verdict.message, field=field)
    minutes = max(1, -(-verdict.retry_after_s // 60))
    return Refusal(
        Kind.too_many,
        _("Too many attempts: try again in {minutes} minutes.").format(minutes=minutes),
        field=field,
    )


def _mail_refused(page: Page, user: User, db: Session, verdict: object) -> Response | None:
    if isinstance(verdict, Blocked | Unavailable):
        refusal = _limited(verdict, "mail")
        return _account_page(page, user, db, error=refusal, status_code=status_of(refusal))
    return None


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
    address: str = "",
    new_email: str = "",
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
    assert user.id is not None
    chosen = notification_choices(db, user.id)
    return page.render(
        "accounts/account.html",
        {
            "user": user,
            "notifications": [
                {"kind": kind.value, "label": notice_label(kind), "wanted": wanted}
                for kind, wanted in chosen.items()
            ],
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
            "address": address,
            "new_email": new_email,
            "min_length": MIN_LENGTH,
        },
        status=status_code,
    )
