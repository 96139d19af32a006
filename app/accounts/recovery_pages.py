"""Pages reached from a mail or asking for one: forgotten password, reset, address verification.

Every page that writes a mail commits first and then wakes the mail queue
(`app.queue.mail_jobs.wake`): the mail is sent by a worker, never inside the request,
and a Redis hiccup only delays it (the sweeper sends what is due). The links land on a
page with a form, and only its POST uses the token: mail scanners that open links do
not spend them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import MailLimiterDep
from app.accounts.login_pages import rate_limited
from app.accounts.passwords import MIN_LENGTH
from app.accounts.ratelimit import Blocked, Quiet, Unavailable
from app.accounts.recovery import (
    check_verification,
    reset_mail,
    reset_password,
    user_for_reset,
    verify_email,
)
from app.accounts.requests import client_ip
from app.core.refusal import Refusal
from app.queue.mail_jobs import wake
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter()

FormText = Annotated[str, Form()]


@router.get("/password/forgot", response_class=HTMLResponse, name="password_forgot")
def forgot_form(page: PageDep, email: str = "") -> Response:
    return page.render("accounts/forgot.html", {"email": email[:320], "sent": False})


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(
    request: Request,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    limiter: MailLimiterDep,
    email: FormText = "",
) -> Response:
    """The same answer for every address, with an account or not, and whether a mail left."""
    verdict = limiter.hit(ip=client_ip(request), address=email)
    if isinstance(verdict, Blocked):
        return rate_limited(page, verdict, what="mail")
    if isinstance(verdict, Unavailable):
        return page.render(
            "accounts/forgot.html",
            {"email": email[:320], "sent": False, "problem": verdict.message},
            status=503,
        )
    mail = None if isinstance(verdict, Quiet) else reset_mail(db, settings, email)
    db.commit()
    if mail is not None:
        wake(settings, [mail])
    return page.render("accounts/forgot.html", {"email": email[:320], "sent": True})


@router.get("/password/reset", response_class=HTMLResponse, name="password_reset")
def reset_form(db: SessionDep, page: PageDep, settings: SettingsDep, token: str = "") -> Response:
    user = user_for_reset(db, settings, token)
    if isinstance(user, Refusal):
        return _link_problem(page, user, what="reset")
    return _reset_page(page, token)


@router.post("/password/reset", response_class=HTMLResponse)
def reset(
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    token: FormText = "",
    password: FormText = "",
) -> Response:
    done = reset_password(db, settings, token, password)
    if isinstance(done, Refusal):
        db.rollback()
        if done.field == "password":
            return _reset_page(page, token, error=done, status=status_of(done))
        return _link_problem(page, done, what="reset")
    db.commit()
    return page.render("accounts/link_done.html", {"what": "reset"})


@router.get("/email/verify", response_class=HTMLResponse, name="email_verify")
def verify_form(db: SessionDep, page: PageDep, settings: SettingsDep, token: str = "") -> Response:
    found = check_verification(db, settings, token)
    if isinstance(found, Refusal):
        return _link_problem(page, found, what="verify")
    return page.render("accounts/verify.html", {"token": token, "email": found.email})


@router.post("/email/verify", response_class=HTMLResponse)
def verify(db: SessionDep, page: PageDep, settings: SettingsDep, token: FormText = "") -> Response:
    done = verify_email(db, settings, token)
    if isinstance(done, Refusal):
        db.rollback()
        return _link_problem(page, done, what="verify")
    db.commit()
    return page.render("accounts/link_done.html", {"what": "verify", "email": done.email})


def _reset_page(
    page: Page, token: str, *, error: Refusal | None = None, status: int = 200
) -> Response:
    return page.render(
        "accounts/reset.html",
        {"token": token, "error": error, "min_length": MIN_LENGTH},
        status=status,
    )


def _link_problem(page: Page, refusal: Refusal, *, what: str) -> Response:
    """A dead link says why (expired, used, broken) and where to ask for a new one."""
    return page.render(
        "accounts/link_problem.html",
        {"refusal": refusal, "what": what},
        status=status_of(refusal),
    )
