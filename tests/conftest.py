"""Fixtures shared by the whole suite: settings in a temp dir, real SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine

from app.core.db import make_engine, migrate
from app.core.settings import Settings
from tests import redis_urls, s3_server
from tests.redis_urls import redis_url

pytest_plugins = ["tests.docker_fixtures"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "MAREA_TEST_POSTGRES", "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's private redis-server and S3 server go with the run (also after Ctrl-C):
    tests/redis_urls.py, tests/s3_server.py."""
    redis_urls.stop()
    s3_server.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", redis_url=redis_url(15))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end.

    A missing server fails the run (never skips it): `make test` starts one.
    """
    name = f"marea_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed at {POSTGRES_ADMIN_URL} (run `make postgres`): {exc}")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend in turn (the data layer runs on both)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    eng = make_engine(url)
    migrate(eng)
    yield eng
    # Leave the next test an empty schema: drop every table, then forget the migration.
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    eng.dispose()


# Folders whose tests all use the Docker engine (directly or through a worker or served site).
DOCKER_FOLDERS = ("sandbox", "attacks", "integrity", "chaos", "e2e", "challenges")
SERVICE_MARKERS = ("docker", "postgres", "e2e", "chaos")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from what a test really uses, so `-m docker`, `-m postgres`, `-m e2e` select it.

    PostgreSQL: the `engine` or a site fixture run on its "postgresql" parameter, or the
    `postgres_url` fixture. Docker: the sandbox fixtures, a folder of Docker suites, or the
    worker stack. Browser: tests/e2e. `unit` is set by the modules themselves, and may not
    meet any of these. A test that starts Docker some other way (a `marea judge` or `marea
    serve` subprocess) carries `@pytest.mark.docker` itself.
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        parts = item.path.relative_to(PROJECT_ROOT).parts
        if "postgres_url" in names or "postgresql" in params.values():
            item.add_marker(pytest.mark.postgres)
        if {"docker_client", "runner_image", "stack"} & names or (
            len(parts) > 1 and parts[1] in DOCKER_FOLDERS
        ):
            item.add_marker(pytest.mark.docker)
        if len(parts) > 1 and parts[1] == "e2e":
            item.add_marker(pytest.mark.e2e)
        services = [m for m in SERVICE_MARKERS if item.get_closest_marker(m)]
        if services and item.get_closest_marker("unit"):
            # `make unit` promises tests that run with nothing started; say so, not time out.
            raise pytest.UsageError(
                f"{item.nodeid} is marked unit but needs {', '.join(services)}: drop one mark"
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A skipped test is a failed test here: a missing component must never pass silently."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (
            f"tests may not be skipped in Marea's suite (start what is missing): {report.longrepr}"
        )
