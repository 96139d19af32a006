"""The shared project-only fixture bundle, loaded and published on the test site."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.bundles.load import LoadOutcome, load_into_db
from app.core.runtime import Runtime
from tests.app.web.web_helpers import engine_of

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "project_bundle"
SLUG = "gulf-digital-twin"
PHASE = "build"


def load_project(client: TestClient) -> LoadOutcome:
    app = client.app
    runtime = Runtime(app.state.settings, engine_of(client), app.state.store)  # type: ignore[attr-defined]
    outcome = load_into_db(runtime, BUNDLE, publish=True)
    assert isinstance(outcome, LoadOutcome), outcome
    return outcome
