"""The account rules on both databases: passwords, tokens and provider logins."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.identities import OidcLogin, ProviderClaims, login_with_provider
from app.accounts.models import Role, TokenScope
from app.accounts.service import authenticate, create_user, role_at_least
from app.accounts.tokens import NewToken, create_token, revoke_token, user_for_token
from app.core.db import session_scope
from app.core.refusal import Kind, Refusal

PASSWORD = "correct horse battery"
ISSUER = "https://id.example.org"


def _claims(subject: str, email: str | None, verified: bool = True) -> ProviderClaims:
    return ProviderClaims(
        issuer=ISSUER, subject=subject, email=email, email_verified=verified, name=None
    )


def test_passwords_tokens_and_provider_logins(engine: Engine) -> None:
    with session_scope(engine) as db:
        ada = create_user(db, email="Ada@Example.org", name="Ada", password=PASSWORD)
        assert not isinstance(ada, Refusal)
        assert authenticate(db, email="ada@example.org", password=PASSWORD) is ada
        assert authenticate(db, email="ada@example.org", password="wrong one!") is None

        made = create_token(db, ada, "ci")
        assert isinstance(made, NewToken)
        found = user_for_token(db, made.secret)
        assert found is not None and found[0] is ada and found[1].scope == TokenScope.submit
        assert made.token.id is not None
        assert not isinstance(revoke_token(db, ada, made.token.id), Refusal)
        assert user_for_token(db, made.secret) is None

        first = login_with_provider(db, _claims("s-1", "new@example.org"))
        assert isinstance(first, OidcLogin) and first.created
        again = login_with_provider(db, _claims("s-1", "changed@example.org"))
        assert isinstance(again, OidcLogin) and again.user.id == first.user.id

        linked = login_with_provider(db, _claims("s-2", "ADA@example.org"))
        assert isinstance(linked, OidcLogin) and linked.linked and linked.user.id == ada.id
        assert (
            linked.password_removed and authenticate(db, email=ada.email, password=PASSWORD) is None
        )

        refused = login_with_provider(db, _claims("s-3", "new@example.org", verified=False))
        assert isinstance(refused, Refusal) and refused.field == "email"
        unverified = login_with_provider(db, _claims("s-4", "fresh@example.org", verified=False))
        assert isinstance(unverified, OidcLogin) and not unverified.user.email_verified

    with Session(engine) as db:
        assert create_user(db, email="ada@EXAMPLE.org", name="X", password=PASSWORD) == Refusal(
            Kind.invalid,
            field="email",
            message="An account with ada@example.org already exists; log in instead.",
        )


def test_role_order() -> None:
    ranks = list(Role)
    for i, have in enumerate(ranks):
        for j, need in enumerate(ranks):
            assert role_at_least(have, need) == (i >= j)
    assert role_at_least("admin", Role.organiser)  # as read from the database
