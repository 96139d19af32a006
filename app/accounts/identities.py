"""Turning an OpenID Connect login into a Marea user.

A provider login is matched, in order: to the user already linked to that
(issuer, subject); to the user with the same email, but only when the provider
says it verified the address; otherwise a new user is made. When a verified
provider email claims a local account whose address was never verified, the
password on that account was set by someone who never proved they own the
address (perhaps an attacker who signed up first, to wait for the owner): it is
removed, the account's sessions end and its tokens are revoked, and the owner keeps
the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.accounts.lifecycle import set_password
from app.accounts.models import OidcIdentity, User
from app.accounts.service import create_user, normalise_email, user_by_email
from app.accounts.tokens import revoke_all_tokens
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.text.plain_text import without_hidden_controls


@dataclass(frozen=True)
class ProviderClaims:
    """What a provider told us about the person, after the ID token was checked."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True)
class OidcLogin:
    user: User
    created: bool = False
    linked: bool = False
    # True when an unproven password was removed from the account (see the module docstring).
    password_removed: bool = False


def login_with_provider(db: Session, claims: ProviderClaims) -> OidcLogin | Refusal:
    identity = db.exec(
        select(OidcIdentity).where(
            OidcIdentity.issuer == claims.issuer, OidcIdentity.subject == claims.subject
        )
    ).first()
    if identity is not None:
        user = db.get(User, identity.user_id)
        if user is None or not user.is_active:
            return Refusal(
                Kind.forbidden,
                field="account",
                message=_("This account is disabled; ask an organiser."),
            )
        return OidcLogin(user=user)

    if not claims.email:
        return Refusal(
            Kind.forbidden,
            field="email",
            message=_(
                "The provider did not share your email address; allow it to and log in again."
            ),
        )
    email = normalise_email(claims.email)
    existing = user_by_email(db, email)
    if existing is not None:
        if not claims.email_verified:
            return Refusal(
                Kind.forbidden,
                field="email",
                message=_(
                    "An account with {email} exists, but the provider has not verified that the "
                    "address is yours: log in with your password, or verify the address at the "
                    "provider first."
                ).format(email=email),
            )
        if not existing.is_active:
            return Refusal(
                Kind.forbidden,
                field="account",
                message=_("This account is disabled; ask an organiser."),
            )
        password_removed = False
        if not existing.email_verified and existing.password_hash is not None:
            set_password(db, existing, None)
            revoke_all_tokens(db, existing)
            password_removed = True
        existing.email_verified = True
        db.add(existing)
        _link(db, existing, claims)
        return OidcLogin(user=existing, linked=True, password_removed=password_removed)

    # A provider's name is taken as given, minus what would make it display as something else.
    name = without_hidden_controls(claims.name or "").strip() or email.split("@", 1)[0]
    created = create_user(
        db,
        email=email,
        name=name[:120],
        password=None,
        email_verified=claims.email_verified,
    )
    if isinstance(created, Refusal):
        return created
    _link(db, created, claims)
    return OidcLogin(user=created, created=True)


def _link(db: Session, user: User, claims: ProviderClaims) -> None:
    assert user.id is not None
    db.add(OidcIdentity(user_id=user.id, issuer=claims.issuer, subject=claims.subject))
    db.flush()
