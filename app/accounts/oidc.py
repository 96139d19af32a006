"""The OpenID Connect providers from settings, as Authlib clients.

Each provider's endpoints and keys are discovered from
`{issuer}/.well-known/openid-configuration` the first time someone uses it, so
a provider that is down at start-up only affects logins through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.starlette_client import OAuth

from app.core.settings import OidcProvider

SCOPES = "openid email profile"


@dataclass(frozen=True)
class ProviderButton:
    name: str
    label: str


class OidcProviders:
    def __init__(self, providers: list[OidcProvider], base_url: str) -> None:
        self._oauth = OAuth()
        self._configs = {p.name: p for p in providers}
        self._base_url = base_url.rstrip("/")
        for provider in providers:
            self._oauth.register(
                name=provider.name,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=discovery_url(provider.issuer),
                client_kwargs={"scope": SCOPES, "code_challenge_method": "S256"},
            )

    def buttons(self) -> list[ProviderButton]:
        return [ProviderButton(p.name, p.label or p.name) for p in self._configs.values()]

    def config(self, name: str) -> OidcProvider | None:
        return self._configs.get(name)

    def client(self, name: str) -> Any:
        """Authlib's StarletteOAuth2App for `name` (untyped upstream)."""
        return self._oauth.create_client(name)

    def redirect_uri(self, name: str) -> str:
        """Built from base_url, not the request, so it matches what the provider has on file."""
        return f"{self._base_url}/login/oidc/{name}/callback"


def discovery_url(issuer: str) -> str:
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")
