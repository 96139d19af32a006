"""The outbox page of administrators: every mail with its status, attempts and last error.

Without an SMTP server (`make run`) this is where mail can be read (and in the worker's
log); with one, it is where a failed mail shows the server's last words and can be sent
again. Bodies are shown as text, the HTML one as its source: nothing a mail contains is
rendered as markup on the site. A body may hold a live link (a password reset), which is
why only administrators see this page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import AdminUser, require_admin
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.mail.models import MailStatus, OutboxMail
from app.mail.service import RESENDABLE, outbox_page, resend
from app.queue.mail_jobs import wake
from app.web.deps import RowId, SessionDep, SettingsDep
from app.web.errors import Refused, unwrap
from app.web.page import PageDep

router = APIRouter(prefix="/admin/outbox", dependencies=[Depends(require_admin)])

NOTICE = "outbox_notice"
STATUSES = tuple(s.value for s in MailStatus)


@router.get("", response_class=HTMLResponse, name="admin_outbox")
def outbox(
    user: AdminUser,
    db: SessionDep,
    view: PageDep,
    settings: SettingsDep,
    status: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    if status and status not in STATUSES:
        status = ""
    found = outbox_page(db, status=status, page=page)
    return view.render(
        "mail/outbox.html",
        {
            "found": found,
            "status": status,
            "statuses": STATUSES,
            "smtp": bool(settings.smtp_url.strip()),
        },
    )


@router.get("/{mail_id}", response_class=HTMLResponse, name="admin_outbox_mail")
def mail_page(
    request: Request, mail_id: RowId, user: AdminUser, db: SessionDep, view: PageDep
) -> Response:
    mail = db.get(OutboxMail, mail_id)
    if mail is None:
        raise Refused(
            Refusal(Kind.not_found, _("No mail has the number {number}.").format(number=mail_id))
        )
    notice = request.session.pop(NOTICE, None)
    return view.render(
        "mail/mail.html",
        {"mail": mail, "notice": notice, "resendable": mail.status in RESENDABLE},
    )


@router.post("/{mail_id}/resend", name="admin_outbox_resend")
def resend_mail(
    request: Request, mail_id: RowId, user: AdminUser, db: SessionDep, settings: SettingsDep
) -> Response:
    """A failed or held mail goes back to the queue with a fresh count of attempts."""
    mail = unwrap(resend(db, mail_id))
    db.commit()
    wake(settings, [mail])
    request.session[NOTICE] = "resent"
    return RedirectResponse(f"/admin/outbox/{mail_id}", status_code=303)
