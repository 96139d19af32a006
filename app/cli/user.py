"""`marea user ...`: accounts from the command line, starting with the first admin.

Besides `create`, the commands an operator needs when an account is compromised or a
person's duties change: `role`, `deactivate`/`activate`, `password` and `logout`. Each
goes through app/accounts/lifecycle.py, so the sessions opened before the change end; all but
`password` go through app/accounts/admin.py as the admin pages do, so they are audit-logged
alike (as "system").
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from sqlmodel import Session

from app.accounts import admin, lifecycle
from app.accounts.models import Role, User
from app.accounts.service import create_user, user_by_email
from app.core.db import session_scope
from app.core.refusal import Refusal
from app.core.runtime import open_runtime
from app.core.settings import get_settings

user_app = typer.Typer(no_args_is_help=True)

EMAIL = typer.Argument(..., help="The account's login email.")


@user_app.command("create")
def create(
    email: str = typer.Argument(..., help="The login email."),
    name: str = typer.Option(..., "--name", help="Name shown to others."),
    password: str = typer.Option(
        ..., "--password", prompt=True, hide_input=True, confirmation_prompt=True
    ),
    admin: bool = typer.Option(False, "--admin", help="Give the admin role."),
    role: Role = typer.Option(Role.participant, "--role", help="Role when not --admin."),
) -> None:
    """Create a user (use --admin for the first administrator)."""
    runtime = open_runtime(get_settings())
    with session_scope(runtime.engine) as session:
        # Created by an operator on the machine itself, so the address counts as verified.
        result = create_user(
            session,
            email=email,
            name=name,
            password=password,
            role=Role.admin if admin else role,
            email_verified=True,
        )
        if isinstance(result, Refusal):
            typer.echo(f"error: {result.field}: {result.message}", err=True)
            raise typer.Exit(1)
        typer.echo(f"created {result.role.value} {result.email} (id {result.id})")


@user_app.command("role")
def role(
    email: str = EMAIL,
    new_role: Role = typer.Argument(
        ..., metavar="ROLE", help="participant, judge, organiser, admin."
    ),
) -> None:
    """Give an account another role; its sessions end, so it logs in again under the new one."""

    def change(session: Session, user: User) -> str:
        ended = admin.change_role(session, None, user, new_role)
        assert not isinstance(ended, Refusal)  # refused only to an admin acting on themself
        return f"{user.email} is now {new_role.value}; {_sessions(ended)} ended"

    _on_user(email, change)


@user_app.command("deactivate")
def deactivate(email: str = EMAIL) -> None:
    """Disable an account: it cannot log in, its sessions end, its API tokens are revoked."""

    def change(session: Session, user: User) -> str:
        ended = admin.deactivate(session, None, user)
        assert not isinstance(ended, Refusal)  # refused only to an admin acting on themself
        return f"{user.email} is deactivated; {_sessions(ended)} ended, tokens revoked"

    _on_user(email, change)


@user_app.command("activate")
def activate(email: str = EMAIL) -> None:
    """Enable a deactivated account again (its owner logs in afresh and makes new tokens)."""

    def change(session: Session, user: User) -> str:
        admin.activate(session, None, user)
        return f"{user.email} is active"

    _on_user(email, change)


@user_app.command("password")
def password(
    email: str = EMAIL,
    new_password: str = typer.Option(
        ..., "--password", prompt=True, hide_input=True, confirmation_prompt=True
    ),
) -> None:
    """Set an account's password (e.g. for someone locked out); its sessions end."""

    def change(session: Session, user: User) -> str:
        ended = lifecycle.set_password(session, user, new_password)
        if isinstance(ended, Refusal):
            typer.echo(f"error: {ended.field}: {ended.message}", err=True)
            raise typer.Exit(1)
        return f"password of {user.email} set; {_sessions(ended)} ended"

    _on_user(email, change)


@user_app.command("logout")
def logout(email: str = EMAIL) -> None:
    """End every session of an account (every browser logs in again); tokens stay."""

    def change(session: Session, user: User) -> str:
        ended = admin.log_out_everywhere(session, None, user)
        return f"{user.email}: {_sessions(ended)} ended"

    _on_user(email, change)


def _on_user(email: str, change: Callable[[Session, User], str]) -> None:
    runtime = open_runtime(get_settings())
    with session_scope(runtime.engine) as session:
        user = user_by_email(session, email)
        if user is None:
            typer.echo(f"error: email: no account has the address {email!r}.", err=True)
            raise typer.Exit(1)
        typer.echo(change(session, user))


def _sessions(count: int) -> str:
    return f"{count} session" if count == 1 else f"{count} sessions"
