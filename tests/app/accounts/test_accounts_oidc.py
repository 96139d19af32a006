"""Login through a real OpenID Connect provider (tests/oidc/provider.js, a Node.js process).

The app runs under TestClient; it talks to the provider over real HTTP (discovery, token,
userinfo, keys), and `browser_login` plays the person's browser at the provider.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import OidcIdentity, User
from app.core.settings import OidcProvider, Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL, PASSWORD, log_in, log_out, sign_up
from tests.oidc.server import RunningProvider, browser_login


def oidc_log_in(client: TestClient, login: str, provider: str = "testidp", next: str = "/"):  # type: ignore[no-untyped-def]
    start = client.get(f"/login/oidc/{provider}", params={"next": next}, follow_redirects=False)
    assert start.status_code == 302, start.text
    back = browser_login(start.headers["location"], login=login, return_to=APP_URL)
    return client.get(back.removeprefix(APP_URL), follow_redirects=False)


def _users(client: TestClient) -> list[User]:
    with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
        return list(db.exec(select(User).order_by(User.id)))  # type: ignore[arg-type]


def _identities(client: TestClient) -> list[OidcIdentity]:
    with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
        return list(db.exec(select(OidcIdentity)))


def test_login_page_offers_each_configured_provider(oidc_client: TestClient) -> None:
    page = oidc_client.get("/login?lang=en").text
    assert "Test IdP testidp" in page and "Test IdP other" in page
    assert oidc_client.get("/login/oidc/nope").status_code == 404


def test_first_login_creates_a_user_and_the_next_one_finds_it(
    oidc_client: TestClient, oidc_provider: RunningProvider
) -> None:
    done = oidc_log_in(oidc_client, "alice", next="/account")
    assert done.status_code == 303 and done.headers["location"] == "/account"
    account = oidc_client.get("/account?lang=en")
    assert "Alice Marinaro" in account.text and "alice@example.org (verified)" in account.text
    [alice] = _users(oidc_client)
    assert alice.password_hash is None and alice.email_verified
    [identity] = _identities(oidc_client)
    assert (identity.issuer, identity.subject, identity.user_id) == (
        oidc_provider.issuer,
        "alice",
        alice.id,
    )

    log_out(oidc_client)
    assert oidc_log_in(oidc_client, "alice").status_code == 303
    assert oidc_client.get("/api/v1/me").json()["id"] == alice.id
    assert len(_users(oidc_client)) == 1 and len(_identities(oidc_client)) == 1


def test_verified_email_links_to_the_existing_local_account(oidc_client: TestClient) -> None:
    sign_up(oidc_client, "carol@example.org", name="Carol Local")
    log_out(oidc_client)
    done = oidc_log_in(oidc_client, "carol")
    assert done.status_code == 303
    me = oidc_client.get("/api/v1/me").json()
    [carol] = _users(oidc_client)
    assert me["id"] == carol.id and me["name"] == "Carol Local"
    assert [i.user_id for i in _identities(oidc_client)] == [carol.id]


def test_linking_an_unverified_local_account_removes_the_unproven_password(
    oidc_client: TestClient, settings: Settings
) -> None:
    """Someone signed up first with carol's address (pre-account hijacking)."""
    sign_up(oidc_client, "carol@example.org", name="Squatter")
    with TestClient(create_app(settings)) as squatter:
        assert log_in(squatter, "carol@example.org") == 303
        assert squatter.get("/api/v1/me").status_code == 200
        oidc_client.cookies.clear()
        done = oidc_log_in(oidc_client, "carol")
        assert done.headers["location"] == "/account"
        assert "has been removed" in oidc_client.get("/account?lang=en").text
        # The squatter's session and password no longer work; carol is in.
        assert squatter.get("/api/v1/me").status_code == 401
        squatter.cookies.clear()
        assert log_in(squatter, "carol@example.org") == 401
    assert oidc_client.get("/api/v1/me").json()["email"] == "carol@example.org"


def test_unverified_provider_email_never_takes_over_an_account(oidc_client: TestClient) -> None:
    sign_up(oidc_client, "dave@example.org", name="Dave")
    log_out(oidc_client)
    refused = oidc_log_in(oidc_client, "mallory")  # claims dave's address, unverified
    assert refused.status_code == 403
    assert "il provider non ha verificato" in refused.text  # the site's default language
    assert oidc_client.get("/api/v1/me").status_code == 401
    assert _identities(oidc_client) == []
    assert log_in(oidc_client, "dave@example.org", PASSWORD) == 303


def test_a_provider_that_shares_no_email_is_explained(oidc_client: TestClient) -> None:
    refused = oidc_log_in(oidc_client, "noemail")
    assert refused.status_code == 403
    assert "non ha condiviso il tuo indirizzo email" in refused.text  # the site's default
    assert _users(oidc_client) == []


def test_a_callback_without_the_flow_state_is_refused(oidc_client: TestClient) -> None:
    forged = oidc_client.get("/login/oidc/testidp/callback?code=abc&state=forged")
    assert forged.status_code == 502
    assert "did not work" in forged.text
    assert oidc_client.get("/api/v1/me").status_code == 401


def test_an_unreachable_provider_is_reported_on_the_login_page(
    app_settings: Settings, redis_15: object
) -> None:
    app_settings.oidc_providers = [
        OidcProvider(name="down", issuer="http://127.0.0.1:1", client_id="x", client_secret="y")
    ]
    with TestClient(create_app(app_settings)) as client:
        response = client.get("/login/oidc/down", follow_redirects=False)
    assert response.status_code == 502
    assert "Logging in with down did not work" in response.text
