"""Creating users, checking passwords and deciding what a role may do."""

from __future__ import annotations

import unicodedata
from functools import cache

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password, password_problem, verify_password
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.text.plain_text import has_hidden_controls

ROLE_ORDER: tuple[Role, ...] = (Role.participant, Role.judge, Role.organiser, Role.admin)


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs as much time as a
    wrong password and response times do not reveal which addresses have accounts."""
    return hash_password("no account has this password, it only burns time")


def normalise_email(email: str) -> str:
    """The one spelling of an address under which it is stored and looked up.

    NFKC folds compatibility forms (full-width `ａｄａ` is `ada`, ligatures are letters);
    format characters (Unicode category Cf: zero-width space and joiners U+200B-U+200D,
    word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, direction marks...) are dropped,
    since they are invisible and would let `ada@x` and `ad\u200ba@x` be two accounts
    that look the same. Case is folded with lower() (not casefold(), which would merge
    addresses such as `ß` and `ss` that mail servers keep apart). Every path that takes
    an address from a person (sign-up, login, OpenID Connect, the CLI, the judges page,
    the rate limiter's keys) goes through here; migration 0003 applied it to old rows.
    Applying it twice changes nothing.
    """
    visible = _without_format_characters(email)
    folded = unicodedata.normalize("NFKC", visible).strip().lower()
    return _without_format_characters(unicodedata.normalize("NFKC", folded))


def _without_format_characters(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def email_problem(email: str) -> str | None:
    """Why a normalised address is refused, or None."""
    if any(unicodedata.category(c) in ("Cc", "Zs", "Zl", "Zp") for c in email):
        return _(
            "{email} is not an email address: it contains spaces or control characters."
        ).format(email=repr(email))
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        return _("{email} is not an email address.").format(email=repr(email))
    if len(email) > 320:
        return _("The email address is too long (320 characters at most).")
    return None


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
) -> User | Refusal:
    """A new user, or why not.

    The password is hashed before the address is looked up, so an address that has an
    account costs as long to refuse as a new one costs to create: timing does not tell
    which addresses exist. Two sign-ups racing for one address are told apart by the
    unique index; the loser's transaction is rolled back and it gets the same refusal.
    """
    email = normalise_email(email)
    if problem := email_problem(email):
        return Refusal(Kind.invalid, field="email", message=problem)
    if not name.strip():
        return Refusal(
            Kind.invalid,
            field="name",
            message=_("Give a name people will see on the leaderboard and in teams."),
        )
    if len(name.strip()) > 120:
        return Refusal(
            Kind.invalid, field="name", message=_("The name is too long (120 characters at most).")
        )
    if has_hidden_controls(name):
        return Refusal(
            Kind.invalid,
            field="name",
            message=_(
                "The name may not contain control characters or text-direction overrides "
                "(U+202A-U+202E, U+2066-U+2069); type it again without them."
            ),
        )
    if password is not None and (problem := password_problem(password)):
        return Refusal(Kind.invalid, field="password", message=problem)
    password_hash = hash_password(password) if password is not None else None
    exists = Refusal(
        Kind.invalid,
        field="email",
        message=_("An account with {email} already exists; log in instead.").format(email=email),
    )
    if user_by_email(session, email) is not None:
        return exists
    user = User(
        email=email,
        name=name.strip(),
        password_hash=password_hash,
        role=role,
        email_verified=email_verified,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return exists
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
