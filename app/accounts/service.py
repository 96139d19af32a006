"""Creating and finding users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password, password_problem


@dataclass(frozen=True)
class AccountError:
    field: str
    message: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(
    session: Session, *, email: str, name: str, password: str | None, role: Role = Role.participant
) -> User | AccountError:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        return AccountError("email", f"{email!r} is not an email address.")
    if not name.strip():
        return AccountError("name", "Give a name people will see on the leaderboard and in teams.")
    if password is not None and (problem := password_problem(password)):
        return AccountError("password", problem)
    if user_by_email(session, email) is not None:
        return AccountError("email", f"An account with {email} already exists; log in instead.")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password is not None else None,
        role=role,
    )
    session.add(user)
    session.flush()
    return user
