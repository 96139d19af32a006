"""`marea user ...`: accounts from the command line, starting with the first admin."""

from __future__ import annotations

import typer

from app.accounts.models import Role
from app.accounts.service import AccountError, create_user
from app.db import session_scope
from app.runtime import open_runtime
from app.settings import get_settings

user_app = typer.Typer(no_args_is_help=True)


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
        if isinstance(result, AccountError):
            typer.echo(f"error: {result.field}: {result.message}", err=True)
            raise typer.Exit(1)
        typer.echo(f"created {result.role.value} {result.email} (id {result.id})")
