"""What every entry point (CLI command, worker, web) builds from Settings before it works."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from app.core.db import make_engine, migrate
from app.core.settings import Settings
from app.core.store import Store, open_store


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: Store


def open_runtime(settings: Settings, *, run_migrations: bool = True) -> Runtime:
    """Directories made, database at the latest migration, store opened."""
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)
    return Runtime(settings=settings, engine=engine, store=open_store(settings))
