"""What an administrator does to other people's accounts, from the admin pages or the CLI.

Both go through here, so a role change, a deactivation or "log out everywhere" does the same
thing wherever it starts: the change itself is app/accounts/lifecycle.py's (sessions end,
tokens are revoked), and each is written to the audit log in the same transaction. The
`actor` is the admin on the pages and None for the CLI (the operator of the machine, shown
as "system"). An admin may not demote or deactivate themself from the pages: the site could
be left with no admin, and the one way back would be the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.accounts import lifecycle
from app.accounts.models import Role, User
from app.accounts.sessions import EndReason, end_sessions
from app.audit.service import record
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _

PAGE_SIZE = 50


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int  # matching the search, on every page
    page: int  # from 1
    pages: int  # at least 1, so "page 1 of 1" reads right for no match


def find_users(db: Session, query: str = "", page: int = 1) -> UserPage:
    """Users whose name or address contains `query` (any case), newest first, a page at a time.

    LIKE's wildcards in the query are escaped so that `_` in an address matches only `_`.
    """
    needle = query.strip().lower()
    where = []
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                func.lower(col(User.name)).like(pattern, escape="\\"),
                func.lower(col(User.email)).like(pattern, escape="\\"),
            )
        )
    total = int(db.exec(select(func.count()).select_from(User).where(*where)).one())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    users = db.exec(
        select(User)
        .where(*where)
        .order_by(col(User.created_at).desc(), col(User.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return UserPage(list(users), total, page, pages)


def _is_self(actor: User | None, user: User) -> bool:
    return actor is not None and actor.id == user.id


def change_role(db: Session, actor: User | None, user: User, role: Role) -> Refusal | int:
    """Gives `user` the role; returns how many of their sessions ended."""
    if _is_self(actor, user) and role != user.role:
        return Refusal(
            Kind.conflict,
            _(
                "You cannot change your own role: another admin must do it, so the site is never "
                "left without an admin by mistake."
            ),
            code="self_demotion",
            field="role",
        )
    before = user.role
    ended = lifecycle.set_role(db, user, role)
    if before != role:
        detail = {"user_id": user.id, "from": str(before), "to": role.value, "sessions": ended}
        record(db, actor, None, "user.role", user.email, detail)
    return ended


def deactivate(db: Session, actor: User | None, user: User) -> Refusal | int:
    """Disables the account (sessions end, tokens revoked); returns the sessions ended."""
    if _is_self(actor, user):
        return Refusal(
            Kind.conflict,
            _("You cannot deactivate your own account: another admin must do it."),
            code="self_deactivation",
        )
    ended = lifecycle.deactivate(db, user)
    record(db, actor, None, "user.deactivate", user.email, {"user_id": user.id, "sessions": ended})
    return ended


def activate(db: Session, actor: User | None, user: User) -> None:
    if not user.is_active:
        lifecycle.activate(db, user)
        record(db, actor, None, "user.activate", user.email, {"user_id": user.id})


def log_out_everywhere(db: Session, actor: User | None, user: User) -> int:
    """Ends every session of `user` (API tokens stay); returns how many ended."""
    ended = end_sessions(db, user, reason=EndReason.operator)
    record(db, actor, None, "user.logout", user.email, {"user_id": user.id, "sessions": ended})
    return ended
