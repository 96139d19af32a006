"""A small, real Marea site for the hostile-input tests: a bundle, people in every role, judging.

The site is the real app behind a TestClient, on SQLite and Redis db 8, with the valid test
bundle loaded and one predictions phase open now. Submissions are judged by a real RQ worker
run in this process in burst mode (`judge_queued`): the same job function the production
worker runs, with real scoring containers.
"""

from __future__ import annotations

import re
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from rq import SimpleWorker
from ruamel.yaml import YAML

from app.accounts.models import Role
from app.bundles.load import LoadOutcome, load_into_db
from app.core.db import utcnow
from app.core.redis import redis_client
from app.core.runtime import Runtime
from app.core.settings import Settings, get_settings
from app.main import create_app
from app.queue.connection import judge_queue
from tests.app.accounts.helpers import APP_URL, csrf_from
from tests.app.web.web_helpers import Person, person
from tests.redis_urls import redis_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VALID_BUNDLE = PROJECT_ROOT / "tests" / "bundles" / "fixtures" / "valid"
REDIS_DB = 8
QUEUE = "marea-hostile"
SLUG = "harbour-wave-height"
# Files the app keeps next to the store in its data dir; anything else there is a leak.
DATA_DIR_FILES = {"marea.db", "marea.db-journal", "marea.db-wal", "marea.db-shm", "secret_key"}


def hostile_settings(root: Path) -> Settings:
    return Settings(
        data_dir=root / "var", redis_url=redis_url(REDIS_DB), base_url=APP_URL, queue_name=QUEUE
    )


def open_bundle(dest: Path, markdown: str = "") -> Path:
    """The valid test bundle with one predictions phase open now and room for many tries.

    With `markdown`, every page of the challenge (overview, data, ...) holds that text.
    """
    shutil.copytree(VALID_BUNDLE, dest)
    if markdown:
        for page in (dest / "pages").glob("*.md"):
            page.write_text(markdown, encoding="utf-8")
    yaml = YAML()
    config = yaml.load((dest / "challenge.yaml").read_text())
    now = utcnow()
    config["phases"] = [
        {
            "name": "development",
            "title": {"it": "Sviluppo", "en": "Development"},
            "start": (now - timedelta(days=1)).isoformat(),
            "end": (now + timedelta(days=30)).isoformat(),
            "kind": "predictions",
            "limits": {"per_day": 500, "total": 1000, "concurrent": 500},
        }
    ]
    with (dest / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return dest


@dataclass(frozen=True)
class Names:
    """What the people and their team are called (the XSS suite makes these hostile)."""

    participant: str = "Ada"
    organiser: str = "Olga"
    judge: str = "Gino"
    team: str = "Delfini"


@dataclass
class World:
    client: TestClient
    settings: Settings
    participant: Person
    organiser: Person
    judge: Person
    team_id: int

    @property
    def store_dir(self) -> Path:
        return self.settings.store_dir

    def submit(
        self, filename: str, data: bytes, content_type: str = "text/csv", **fields: str
    ) -> httpx.Response:
        """Uploads a file through the API as the participant, the way `marea submit` does."""
        return self.client.post(
            f"/api/v1/challenges/{SLUG}/submissions",
            files={"file": (filename, data, content_type)},
            data=fields,
            headers=self.participant.bearer(),
        )

    def submission(self, submission_id: int) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/submissions/{submission_id}", headers=self.participant.bearer()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def judge_queued(self) -> None:
        judge_queued(self.settings)

    def csrf(self, who: Person, path: str) -> str:
        return csrf_from(who.client.get(path).text)

    def store_objects(self) -> set[Path]:
        """Every object in the content-addressed store (not its tmp folder)."""
        return {p for p in self.store_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"}

    def store_tmp(self) -> set[Path]:
        return {p for p in (self.store_dir / "tmp").rglob("*") if p.is_file()}

    def outside_store(self) -> set[Path]:
        """Files in the data dir that are neither in the store nor the app's own files.

        The workers' cache of challenge files (work/challenges/<bundle sha>) is the app's own
        too: it is materialised once per bundle version, whatever the submissions.
        """
        cache = self.settings.work_dir / "challenges"
        found = set()
        for path in self.settings.data_dir.rglob("*"):
            if not path.is_file() or self.store_dir in path.parents or cache in path.parents:
                continue
            if path.parent == self.settings.data_dir and path.name in DATA_DIR_FILES:
                continue
            found.add(path)
        return found


def judge_queued(settings: Settings) -> None:
    """Runs every queued judging job now, in this process, then returns.

    The job reads its settings from the environment as in production, so the environment
    points at this site for the duration; RQ's signal handlers are undone afterwards.
    """
    env = {
        "MAREA_DATA_DIR": str(settings.data_dir),
        "MAREA_DATABASE_URL": settings.database_url,
        "MAREA_REDIS_URL": settings.redis_url,
        "MAREA_QUEUE_NAME": settings.queue_name,
        "MAREA_RUNNER_IMAGE": settings.runner_image,
    }
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        client = redis_client(settings)
        try:
            worker = SimpleWorker([judge_queue(settings, client)], connection=client)
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            get_settings.cache_clear()
            client.close()


@contextmanager
def open_world(
    root: Path, names: Names = Names(), runner_image: str = "", markdown: str = ""
) -> Iterator[World]:
    """The site with the bundle loaded and published, three people and the participant's team."""
    settings = hostile_settings(root)
    if runner_image:
        settings.runner_image = runner_image
    flush = redis.Redis.from_url(redis_url(REDIS_DB))
    try:
        flush.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {redis_url(REDIS_DB)} (run `make services`): {exc}")
    app = create_app(settings)
    with TestClient(app, base_url=APP_URL) as client:
        runtime = Runtime(settings, app.state.engine, app.state.store)
        loaded = load_into_db(runtime, open_bundle(root / "bundle", markdown), publish=True)
        assert isinstance(loaded, LoadOutcome) and loaded.slug == SLUG
        participant = person(client, "ada@example.org", names.participant)
        organiser = person(client, "olga@example.org", names.organiser, Role.organiser)
        judge = person(client, "gino@example.org", names.judge, Role.judge)
        made = client.post(
            f"/api/v1/challenges/{SLUG}/teams",
            json={"name": names.team},
            headers=participant.bearer(),
        )
        assert made.status_code == 201, made.text
        token = csrf_from(organiser.client.get(f"/organise/{SLUG}/judges").text)
        assigned = organiser.client.post(
            f"/organise/{SLUG}/judges",
            data={"email": judge.email, "csrf_token": token},
            follow_redirects=False,
        )
        assert assigned.status_code == 303, assigned.text
        yield World(client, settings, participant, organiser, judge, made.json()["id"])
    flush.flushdb()
    flush.close()


def page_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every route but the JSON API, from the OpenAPI schema.

    The schema lists every route however routers are nested, HTML pages included, so a page
    added tomorrow is covered without touching these tests.
    """
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        if not path.startswith("/api/")
        for method in operations
    )


def fill(template: str, values: dict[str, str], default: str = "1") -> str:
    """A path template with its {parameters} filled in (unknown ones get `default`)."""
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), default), template)


def every_route(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every route the OpenAPI schema lists, API and pages."""
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)
