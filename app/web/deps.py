"""Typed dependencies, so a route's signature says what it needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import MAX_ROW_ID
from app.core.settings import Settings
from app.core.store import Store
from app.i18n import pick_language


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_language(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return pick_language(request, settings.default_language)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
StoreDep = Annotated[Store, Depends(get_store)]
LangDep = Annotated[str, Depends(get_language)]

# An id in a path: a number no row can have is a 422, not a database error.
RowId = Annotated[
    int, Path(ge=1, le=MAX_ROW_ID, description="A row id (a positive 32-bit integer).")
]
