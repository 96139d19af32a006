"""Links sent by mail: resetting a forgotten password, and proving an address is yours.

A link carries a token signed with the site's secret key (itsdangerous, with the time
it was made, so it expires) naming the account and a *fingerprint* of the state it
was made for: for a reset, the current password hash; for a verification, the current
address and whether it is verified. Using the link changes that state (a new password
hash, argon2's salt makes it new even for the same password; the address verified), so
the fingerprint no longer matches and the link is dead: single-use without a table of
tokens, and a reset also kills every other reset link sent before it. Nothing secret
is in the token: the signature is what cannot be forged.

Asking for a reset answers the same whether the address has an account or not; the
mail is rendered either way, so the time taken does not tell either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from app.accounts.lifecycle import set_password
from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.accounts.service import email_problem, normalise_email, user_by_email
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.i18n.speech import gettext as _
from app.mail.models import MailKind, OutboxMail
from app.mail.render import mail_language, render_mail
from app.mail.service import queue_mail

RESET_SALT = "marea-password-reset"
VERIFY_SALT = "marea-verify-email"


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key(), salt=salt)


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _reset_print(user: User) -> str:
    return _fingerprint(user.id, user.email, user.password_hash or "", user.is_active)


def _verify_print(user: User) -> str:
    return _fingerprint(user.id, user.email, user.email_verified)


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def reset_link(settings: Settings, user: User) -> str:
    token = _serializer(settings, RESET_SALT).dumps({"u": user.id, "f": _reset_print(user)})
    return _link(settings, "/password/reset", token)


def verify_link(settings: Settings, user: User, email: str) -> str:
    token = _serializer(settings, VERIFY_SALT).dumps(
        {"u": user.id, "e": email, "f": _verify_print(user)}
    )
    return _link(settings, "/email/verify", token)


def _load(settings: Settings, salt: str, token: str, max_age_s: int) -> dict[str, Any] | Refusal:
    try:
        data = _serializer(settings, salt).loads(token, max_age=max_age_s)
    except SignatureExpired:
        return Refusal(
            Kind.gone,
            _("This link has expired: ask for a new one below."),
            code="link_expired",
        )
    except BadSignature:
        return Refusal(
            Kind.invalid,
            _("This link is not valid: it may have been cut or mistyped. Ask for a new one below."),
            code="link_invalid",
            field="token",
        )
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return Refusal(Kind.invalid, _("This link is not valid."), code="link_invalid")
    return data


def _used() -> Refusal:
    return Refusal(
        Kind.gone,
        _("This link has already been used, or a newer one replaced it: ask for a new one below."),
        code="link_used",
    )


def reset_mail(db: Session, settings: Settings, email: str) -> OutboxMail | None:
    """The reset mail for the account of `email`, written to the outbox; None without one."""
    user = user_by_email(db, email)
    minutes = max(1, settings.password_reset_ttl_s // 60)
    if user is None or not user.is_active:
        # Same work as for an account (a rendered mail), so timing tells nothing either.
        render_mail(
            MailKind.password_reset,
            settings.default_language,
            {"name": "", "link": "", "minutes": minutes, "site_url": settings.base_url},
        )
        return None
    return queue_mail(
        db,
        settings,
        to=user.email,
        kind=MailKind.password_reset,
        lang=user.language,
        user_id=user.id,
        context={"name": user.name, "link": reset_link(settings, user), "minutes": minutes},
    )


def user_for_reset(db: Session, settings: Settings, token: str) -> User | Refusal:
    """The account a reset link is for, while the link is unexpired and unused."""
    data = _load(settings, RESET_SALT, token, settings.password_reset_ttl_s)
    if isinstance(data, Refusal):
        return data
    user = db.get(User, data["u"])
    if user is None or not user.is_active or data.get("f") != _reset_print(user):
        return _used()
    return user


def reset_password(db: Session, settings: Settings, token: str, password: str) -> User | Refusal:
    """Sets the new password, which also ends every session of the account and kills the link.

    Receiving the mail proves the address, so the account is verified too.
    """
    user = user_for_reset(db, settings, token)
    if isinstance(user, Refusal):
        return user
    ended = set_password(db, user, password)
    if isinstance(ended, Refusal):
        return ended
    user.email_verified = True
    db.add(user)
    return user


def verification_mail(
    db: Session, settings: Settings, user: User, email: str | None = None
) -> OutboxMail:
    """A link proving `email` (the account's own address by default) belongs to `user`."""
    to = email or user.email
    return queue_mail(
        db,
        settings,
        to=to,
        kind=MailKind.verify_email,
        lang=user.language,
        user_id=user.id,
        context={
            "name": user.name,
            "email": to,
            "link": verify_link(settings, user, to),
            "days": max(1, settings.email_verify_ttl_s // 86400),
        },
    )


@dataclass(frozen=True)
class Verification:
    user: User
    email: str
    changed: bool  # the link moved the account to a new address


def check_verification(db: Session, settings: Settings, token: str) -> Verification | Refusal:
    data = _load(settings, VERIFY_SALT, token, settings.email_verify_ttl_s)
    if isinstance(data, Refusal):
        return data
    user = db.get(User, data["u"])
    email = data.get("e")
    if user is None or not isinstance(email, str) or data.get("f") != _verify_print(user):
        return _used()
    return Verification(user=user, email=email, changed=email != user.email)


def verify_email(db: Session, settings: Settings, token: str) -> Verification | Refusal:
    """Marks the address verified; a link sent to a new address moves the account to it."""
    found = check_verification(db, settings, token)
    if isinstance(found, Refusal):
        return found
    user = found.user
    if found.changed:
        taken = user_by_email(db, found.email)
        if taken is not None and taken.id != user.id:
            return Refusal(
                Kind.conflict,
                _("Another account now uses {email}; this address cannot be yours here.").format(
                    email=found.email
                ),
                code="email_taken",
            )
        user.email = found.email
    user.email_verified = True
    db.add(user)
    db.flush()
    return found


def change_password(
    db: Session, user: User, *, current: str, new: str, keep_session: int | None
) -> int | Refusal:
    """The new password, when the current one is right; ends every session but `keep_session`."""
    if user.password_hash is None:
        return Refusal(
            Kind.conflict,
            _(
                "Your account has no password yet: set one with “Forgot your password?” on the login page."
            ),
            field="current_password",
        )
    if not verify_password(user.password_hash, current):
        return Refusal(
            Kind.invalid, _("The current password is not right."), field="current_password"
        )
    return set_password(db, user, new, keep=keep_session)


def new_address_problem(db: Session, user: User, email: str, current: str) -> Refusal | str:
    """The new address to verify (normalised), or why it cannot be asked for."""
    if user.password_hash is None or not verify_password(user.password_hash, current):
        return Refusal(
            Kind.invalid, _("The current password is not right."), field="address_password"
        )
    email = normalise_email(email)
    if problem := email_problem(email):
        return Refusal(Kind.invalid, problem, field="new_email")
    if email == user.email:
        return Refusal(Kind.invalid, _("That is already your address."), field="new_email")
    return email


def password_changed_mail(db: Session, settings: Settings, user: User) -> OutboxMail:
    """Tells the owner, at their verified address, that the password changed (and how to undo)."""
    return queue_mail(
        db,
        settings,
        to=user.email,
        kind=MailKind.password_changed,
        lang=mail_language(user.language, settings.default_language),
        user_id=user.id,
        context={
            "name": user.name,
            "link": f"{settings.base_url.rstrip('/')}/password/forgot",
        },
    )


def address_change_mail(
    db: Session, settings: Settings, user: User, email: str
) -> OutboxMail | None:
    """The verification link to a new address; None (and the same answer) when it is taken,
    so the form cannot be used to learn which addresses have accounts."""
    if user_by_email(db, email) is not None:
        return None
    return verification_mail(db, settings, user, email)
