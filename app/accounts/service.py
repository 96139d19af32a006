"""Creating users, checking passwords and deciding what a role may do."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password, password_problem, verify_password
from app.db import utcnow
from app.plain_text import has_hidden_controls

ROLE_ORDER: tuple[Role, ...] = (Role.participant, Role.judge, Role.organiser, Role.admin)


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs as much time as a
    wrong password and response times do not reveal which addresses have accounts."""
    return hash_password("no account has this password, it only burns time")


@dataclass(frozen=True)
class AccountError:
    """Why an account operation was refused: `field` names the form field to point at."""

    field: str
    message: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def role_at_least(have: Role | str, need: Role) -> bool:
    """Each role includes the powers of the ones before it in ROLE_ORDER."""
    return ROLE_ORDER.index(Role(have)) >= ROLE_ORDER.index(need)


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str | None,
    role: Role = Role.participant,
    email_verified: bool = False,
) -> User | AccountError:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        return AccountError("email", f"{email!r} is not an email address.")
    if len(email) > 320:
        return AccountError("email", "The email address is too long (320 characters at most).")
    if not name.strip():
        return AccountError("name", "Give a name people will see on the leaderboard and in teams.")
    if len(name.strip()) > 120:
        return AccountError("name", "The name is too long (120 characters at most).")
    if has_hidden_controls(name):
        return AccountError(
            "name",
            "The name may not contain control characters or text-direction overrides "
            "(U+202A-U+202E, U+2066-U+2069); type it again without them.",
        )
    if password is not None and (problem := password_problem(password)):
        return AccountError("password", problem)
    if user_by_email(session, email) is not None:
        return AccountError("email", f"An account with {email} already exists; log in instead.")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        email_verified=email_verified,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never saying which part was wrong)."""
    user = user_by_email(session, email)
    if user is None or user.password_hash is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


def record_login(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)
