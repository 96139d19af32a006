"""Password hashing with argon2id; parameters are argon2-cffi's current defaults."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.i18n.speech import gettext as _

_hasher = PasswordHasher()

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in words a person can act on; None when acceptable."""
    if len(password) < MIN_LENGTH:
        return _("The password must have at least {count} characters.").format(count=MIN_LENGTH)
    return None
