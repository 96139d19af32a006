"""Fixtures for the account tests: the app on a fresh database (SQLite; `site`: SQLite and
PostgreSQL in turn), Redis db 15, an OpenID provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from app.core.db import make_engine
from app.core.settings import OidcProvider, Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL, PROVIDER_NAMES
from tests.oidc.server import ProviderProblem, RunningProvider, run_provider
from tests.redis_urls import redis_base, redis_url


@pytest.fixture
def redis_15() -> Iterator[redis.Redis]:
    """Redis db 15 without login and sign-up counters; only this suite's keys are removed."""
    client = redis.Redis.from_url(redis_url(15))
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_base()} (run `make services`): {exc}")

    def clear() -> None:
        for pattern in ("marea:login:*", "marea:signup:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    clear()
    yield client
    clear()
    client.close()


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[RunningProvider]:
    """The real Node.js OpenID provider, shared by the session (a missing Node fails the test)."""
    try:
        with run_provider(
            client_id="marea-tests",
            client_secret="a-client-secret-for-tests",
            redirect_uris=[f"{APP_URL}/login/oidc/{name}/callback" for name in PROVIDER_NAMES],
            users={
                "carol": {"email": "carol@example.org", "email_verified": True, "name": "Carol"},
                "mallory": {"email": "dave@example.org", "email_verified": False, "name": "M"},
                "noemail": {"name": "No Email"},
            },
        ) as provider:
            yield provider
    except ProviderProblem as exc:
        pytest.fail(str(exc))


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    settings.base_url = APP_URL
    return settings


@pytest.fixture
def client(app_settings: Settings, redis_15: redis.Redis) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), base_url=APP_URL) as test_client:
        yield test_client


@pytest.fixture
def oidc_client(
    app_settings: Settings, redis_15: redis.Redis, oidc_provider: RunningProvider
) -> Iterator[TestClient]:
    app_settings.oidc_providers = [
        OidcProvider(
            name=name,
            issuer=oidc_provider.issuer,
            client_id=oidc_provider.client_id,
            client_secret=oidc_provider.client_secret,
            label=f"Test IdP {name}",
        )
        for name in PROVIDER_NAMES
    ]
    with TestClient(create_app(app_settings), base_url=APP_URL) as test_client:
        yield test_client


@pytest.fixture(params=["sqlite", "postgresql"])
def both_settings(request: pytest.FixtureRequest, app_settings: Settings) -> Iterator[Settings]:
    """The site's settings on SQLite, then on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield app_settings
        return
    app_settings.database_url = request.getfixturevalue("postgres_url")
    yield app_settings
    engine = make_engine(app_settings.database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


@pytest.fixture
def site(both_settings: Settings, redis_15: redis.Redis) -> Iterator[TestClient]:
    """The real app on each database in turn; browsers are made with `helpers.browser`."""
    app = create_app(both_settings)
    with TestClient(app, base_url=APP_URL) as test_client:
        yield test_client
    app.state.engine.dispose()
