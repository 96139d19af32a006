"""Choosing one's notifications and language on the account page, and the unsubscribe link.

The unsubscribe link of a mail works without logging in (the signed link is the proof) and
without the site's CSRF token: RFC 8058 has mail programs POST `List-Unsubscribe=One-Click`
to it, and a GET (someone clicking it) shows a page with one button, so a link scanner that
follows every link in a mailbox unsubscribes nobody.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import BrowserUser
from app.accounts.models import User
from app.core.refusal import Refusal
from app.i18n.choice import LANGUAGES
from app.notifications import service
from app.notifications.models import Notice
from app.notifications.words import notice_label
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import PageDep

router = APIRouter(tags=["notifications"])


@router.post("/account/notifications", name="account_notifications")
async def save_choices(request: Request, user: BrowserUser, db: SessionDep) -> Response:
    """Every kind is on the form: a box not ticked is a kind not wanted."""
    form = await request.form()
    ticked = set(form.getlist("notice"))
    assert user.id is not None
    for notice in Notice:
        service.choose(db, user.id, notice, notice.value in ticked)
    db.commit()
    request.session["notice"] = "notifications_saved"
    return RedirectResponse("/account#notifications-title", status_code=303)


@router.post("/account/language", name="account_language")
async def save_language(request: Request, user: BrowserUser, db: SessionDep) -> Response:
    """The language of the mail the site sends this person; the pages follow it from now on."""
    form = await request.form()
    chosen = str(form.get("language", ""))
    if chosen not in LANGUAGES:
        request.session["notice"] = "language_unknown"
        return RedirectResponse("/account", status_code=303)
    user.language = chosen
    db.add(user)
    db.commit()
    request.session["notice"] = "language_saved"
    # ?lang= makes the language middleware remember it in the pages' cookie too.
    return RedirectResponse(f"/account?lang={chosen}", status_code=303)


def _target(db: SessionDep, settings: SettingsDep, token: str) -> tuple[User, Notice] | Refusal:
    found = service.read_unsubscribe(settings, token)
    if isinstance(found, Refusal):
        return found
    user_id, notice = found
    user = db.get(User, user_id)
    if user is None:
        return service.invalid_link()  # the account is gone: the same answer
    return user, notice


@router.get("/notifications/unsubscribe/{token}", response_class=HTMLResponse, name="unsubscribe")
def unsubscribe_page(token: str, db: SessionDep, settings: SettingsDep, page: PageDep) -> Response:
    found = _target(db, settings, token)
    if isinstance(found, Refusal):
        return page.render(
            "notifications/unsubscribe.html", {"error": found}, status=status_of(found)
        )
    user, notice = found
    assert user.id is not None
    return page.render(
        "notifications/unsubscribe.html",
        {
            "token": token,
            "email": user.email,
            "label": notice_label(notice),
            "wanted": service.wants(db, user.id, notice),
        },
    )


@router.post("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, db: SessionDep, settings: SettingsDep, page: PageDep) -> Response:
    found = _target(db, settings, token)
    if isinstance(found, Refusal):
        return page.render(
            "notifications/unsubscribe.html", {"error": found}, status=status_of(found)
        )
    user, notice = found
    assert user.id is not None
    service.choose(db, user.id, notice, False)
    db.commit()
    return page.render(
        "notifications/unsubscribe.html",
        {"done": True, "email": user.email, "label": notice_label(notice)},
    )
