"""Wires accounts into the app: sessions, CSRF, login routes (filled in by the accounts work)."""

from __future__ import annotations

from fastapi import FastAPI

from app.settings import Settings


def install_accounts(app: FastAPI, settings: Settings) -> None:
    """Add the session and CSRF middleware and the account routes to `app`."""
    _ = (app, settings)
