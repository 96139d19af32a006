"""Changes to what an account is granted, each ending the sessions that were granted before.

A session (or a copy of its cookie) was opened under a password, a role and an active
account; when any of these changes, the sessions opened under the old state end, so
nobody keeps what the change meant to take away (and a promotion never reaches a
cookie someone copied earlier). Every place that changes these goes through here:
the `marea user` commands, OpenID Connect's removal of an unproven password, the
account page's password change (it passes its own session as `keep`), and a password reset
by mail (app/accounts/recovery.py).
"""

from __future__ import annotations

from sqlmodel import Session

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password, password_problem
from app.accounts.sessions import EndReason, end_sessions
from app.accounts.tokens import revoke_all_tokens
from app.core.refusal import Kind, Refusal


def set_password(
    db: Session, user: User, password: str | None, *, keep: int | None = None
) -> Refusal | int:
    """Sets (or with None removes) the password; ends every session but `keep`.

    Returns how many sessions were ended. API tokens are left alone: they are revoked
    one by one on the account page, and removing an unproven password revokes them
    itself (app/accounts/identities.py).
    """
    if password is not None and (problem := password_problem(password)):
        return Refusal(Kind.invalid, field="password", message=problem)
    user.password_hash = hash_password(password) if password is not None else None
    db.add(user)
    return end_sessions(db, user, reason=EndReason.password, except_session_id=keep)


def set_role(db: Session, user: User, role: Role) -> int:
    """Gives `user` the role; their sessions end (none when the role is the same)."""
    if user.role == role:
        return 0
    user.role = role
    db.add(user)
    return end_sessions(db, user, reason=EndReason.role)


def deactivate(db: Session, user: User) -> int:
    """Disables the account: its sessions end and its API tokens are revoked.

    Revoked rather than merely refused while disabled, so reactivating the account does
    not bring back a token that may have leaked meanwhile. Returns the sessions ended.
    """
    user.is_active = False
    db.add(user)
    revoke_all_tokens(db, user)
    return end_sessions(db, user, reason=EndReason.deactivated)


def activate(db: Session, user: User) -> None:
    """Enables the account again; its owner logs in afresh and makes new tokens."""
    user.is_active = True
    db.add(user)
