"""The admin pages: find people, change their role, deactivate or log out their accounts.

Until these pages an existing account could become a judge only from the command line. The
actions are app/accounts/admin.py's, the ones `marea user` runs. Changing a role,
deactivating and logging out everywhere take two steps: the first POST (without
`confirm=yes`) answers a page that says what will happen, found by doing the change and
rolling it back, so that page and the change itself cannot disagree (a refusal such as an
admin demoting themself shows there, before anything is confirmed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts import admin
from app.accounts.deps import AdminUser, require_admin
from app.accounts.models import Role, User
from app.accounts.sessions import live_sessions
from app.accounts.tokens import active_tokens
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.web.deps import RowId, SessionDep
from app.web.errors import Refused, status_of
from app.web.page import Page, PageDep

# Every route here is the admin's: the router says so once, so no route can forget it.
router = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])

NOTICE = "admin_notice"


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise Refused(
            Refusal(Kind.not_found, _("No account has the number {number}.").format(number=user_id))
        )
    return user


@router.get("/users", response_class=HTMLResponse, name="admin_users")
def users(
    request: Request,
    user: AdminUser,
    db: SessionDep,
    view: PageDep,
    q: Annotated[str, Query(max_length=320)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    found = admin.find_users(db, q, page)
    return view.render("accounts/admin_users.html", {"q": q, "found": found})


@router.get("/users/{user_id}", response_class=HTMLResponse, name="admin_user")
def user_page(
    request: Request,
    user_id: RowId,
    user: AdminUser,
    db: SessionDep,
    view: PageDep,
) -> Response:
    notice = request.session.pop(NOTICE, None)
    return _user_page(request, db, view, user, _user(db, user_id), notice=notice)


def _user_page(
    request: Request,
    db: Session,
    view: Page,
    me: User,
    target: User,
    *,
    notice: dict[str, Any] | None = None,
    error: Refusal | None = None,
) -> Response:
    context = {
        "target": target,
        "me": me,
        "roles": list(Role),
        "sessions": len(live_sessions(db, target)),
        "tokens": len(active_tokens(db, target)),
        "notice": notice,
        "error": error,
    }
    status = status_of(error) if error is not None else 200
    return view.render("accounts/admin_user.html", context, status=status)


def _confirm_or_do(
    request: Request,
    db: Session,
    view: Page,
    me: User,
    target: User,
    *,
    action: str,
    confirmed: bool,
    do: Callable[[], Refusal | int | None],
    role: Role | None = None,
) -> Response:
    """Step one (not confirmed): the change is tried and rolled back, and the page says what
    it would do; step two: done, committed, and the user's page says it was done."""
    assert target.id is not None
    sessions = len(live_sessions(db, target))
    tokens = len(active_tokens(db, target))
    was = {"role": str(target.role), "active": target.is_active}
    outcome = do()
    if isinstance(outcome, Refusal):
        db.rollback()
        return _user_page(request, db, view, me, target, error=outcome)
    if not confirmed:
        db.rollback()
        context = {
            "target": target,
            "action": action,
            "role": role,
            "was": was,
            "sessions": sessions,
            "tokens": tokens,
        }
        return view.render("accounts/admin_confirm.html", context)
    db.commit()
    request.session[NOTICE] = {
        "action": action,
        "role": role.value if role is not None else None,
        "sessions": outcome if isinstance(outcome, int) else 0,
        "tokens": tokens if action == "deactivate" else 0,
    }
    return RedirectResponse(f"/admin/users/{target.id}", status_code=303)


@router.post("/users/{user_id}/role", response_class=HTMLResponse, name="admin_user_role")
def change_role(
    request: Request,
    user_id: RowId,
    user: AdminUser,
    db: SessionDep,
    view: PageDep,
    role: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    target = _user(db, user_id)
    if role not in {r.value for r in Role}:
        problem = Refusal(
            Kind.invalid,
            _("Choose one of the roles: participant, judge, organiser, admin."),
            code="unknown_role",
            field="role",
        )
        return _user_page(request, db, view, user, target, error=problem)
    new = Role(role)
    return _confirm_or_do(
        request,
        db,
        view,
        user,
        target,
        action="role",
        role=new,
        confirmed=confirm == "yes",
        do=lambda: admin.change_role(db, user, target, new),
    )


@router.post("/users/{user_id}/deactivate", response_class=HTMLResponse, name="admin_deactivate")
def deactivate(
    request: Request,
    user_id: RowId,
    user: AdminUser,
    db: SessionDep,
    view: PageDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    target = _user(db, user_id)
    return _confirm_or_do(
        request,
        db,
        view,
        user,
        target,
        action="deactivate",
        confirmed=confirm == "yes",
        do=lambda: admin.deactivate(db, user, target),
    )


@router.post("/users/{user_id}/logout", response_class=HTMLResponse, name="admin_logout")
def log_out(
    request: Request,
    user_id: RowId,
    user: AdminUser,
    db: SessionDep,
    view: PageDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    target = _user(db, user_id)
    return _confirm_or_do(
        request,
        db,
        view,
        user,
        target,
        action="logout",
        confirmed=confirm == "yes",
        do=lambda: admin.log_out_everywhere(db, user, target),
    )


@router.post("/users/{user_id}/activate", name="admin_activate")
def activate(request: Request, user_id: RowId, user: AdminUser, db: SessionDep) -> Response:
    """Not confirmed first: it takes nothing away (the owner logs in and makes new tokens)."""
    target = _user(db, user_id)
    admin.activate(db, user, target)
    db.commit()
    request.session[NOTICE] = {"action": "activate", "role": None, "sessions": 0, "tokens": 0}
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)
