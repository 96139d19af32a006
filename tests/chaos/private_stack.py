"""The whole private Marea for the chaos and load tests, and how the tests talk to it.

`PrivateStack` puts together our own Redis and PostgreSQL (see stack_control), a data dir, the
site and a worker host, loads a predictions challenge with the `marea` CLI, and creates teams
through the JSON API. Accounts and their API tokens are made with the account service, as
`marea user create` does, since tokens are otherwise only handed out on the account page.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import docker
import httpx
from ruamel.yaml import YAML
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.service import create_user
from app.accounts.tokens import NewToken, create_token
from app.core.db import make_engine, utcnow
from tests.chaos.stack_control import (
    MAREA,
    ROOT,
    PostgresCluster,
    RedisServer,
    Site,
    StackError,
)

VALID_BUNDLE = ROOT / "tests" / "bundles" / "fixtures" / "valid"
SLUG = "harbour-wave-height"
RUNNER_IMAGE = "marea-runner:latest"
TEST_IDS = list(range(41, 61))  # the ids of the bundle's test.csv


@dataclass(frozen=True)
class TeamHandle:
    """A team of one: its captain's API token, and its id on the site."""

    name: str
    token: str
    team_id: int

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def predictions(value: float) -> bytes:
    """A valid predictions file that says `value` for every hour."""
    rows = "".join(f"{i},{value:.3f}\n" for i in TEST_IDS)
    return f"id,wave_height\n{rows}".encode()


def broken_predictions() -> bytes:
    """A predictions file missing half the rows: the team's own mistake, never retried."""
    rows = "".join(f"{i},1.0\n" for i in TEST_IDS[::2])
    return f"id,wave_height\n{rows}".encode()


def bundle(dest: Path, limits: dict[str, int]) -> Path:
    """The valid test bundle with one predictions phase open now, with these quotas."""
    shutil.copytree(VALID_BUNDLE, dest)
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
            "limits": dict(limits),
        }
    ]
    with (dest / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return dest


@dataclass
class PrivateStack:
    root: Path
    processes: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    redis: RedisServer = field(init=False)
    postgres: PostgresCluster = field(init=False)
    site: Site = field(init=False)
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.redis = RedisServer(self.root / "redis")
        self.postgres = PostgresCluster()
        (self.root / "logs").mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MAREA_")}
        return {
            **base,
            "MAREA_DATA_DIR": str(self.root / "var"),
            "MAREA_DATABASE_URL": self.postgres.url(),
            "MAREA_REDIS_URL": self.redis.url(0),
            "MAREA_BASE_URL": self.site.base_url,
            "MAREA_SECRET_KEY": "chaos-secret-key-not-for-production-0123456789",
            "MAREA_RUNNER_IMAGE": RUNNER_IMAGE,
            **self.extra_env,
        }

    def start(self) -> None:
        try:
            docker.from_env().images.get(RUNNER_IMAGE)
        except docker.errors.ImageNotFound:
            raise StackError(
                f"The sandbox image {RUNNER_IMAGE} is missing; build it with "
                "`.venv/bin/marea sandbox build-image` (or `make setup`)."
            ) from None
        self.redis.start()
        self.postgres.init()
        self.site = Site(env={}, logs=self.root / "logs")
        self.site.env = self.env
        self.engine = make_engine(self.postgres.url())
        self.marea("migrate")
        self.site.start_web()
        self.site.start_worker(self.processes)

    def stop(self) -> None:
        site = getattr(self, "site", None)
        if site is not None:
            site.stop()
        if hasattr(self, "engine"):
            self.engine.dispose()
        self.redis.stop()
        self.postgres.remove()
        client = docker.from_env()
        for container in self.containers():
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(container["Id"], force=True)

    def marea(self, *args: str) -> str:
        done = subprocess.run(
            [MAREA, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise StackError(f"`marea {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def load_challenge(self, limits: dict[str, int]) -> str:
        """Loads and publishes the test bundle with `marea challenge load --publish`."""
        path = bundle(self.root / f"bundle-{uuid.uuid4().hex[:6]}", limits)
        self.marea("challenge", "load", "--publish", str(path))
        return SLUG

    def teams(self, slug: str, count: int, prefix: str) -> list[TeamHandle]:
        """`count` teams of one, each created by its captain through the API."""
        made: list[tuple[str, NewToken]] = []
        with Session(self.engine, expire_on_commit=False) as session:
            for n in range(count):
                name = f"{prefix} {n:03d}"
                email = f"{prefix.lower()}-{n:03d}@example.org"
                user = create_user(session, email=email, name=name, password=None)
                assert not isinstance(user, Exception), user
                token = create_token(session, user, "chaos")  # type: ignore[arg-type]
                assert isinstance(token, NewToken), token
                made.append((name, token))
            session.commit()
        teams = []
        with httpx.Client(base_url=self.site.base_url, timeout=30) as http:
            for name, token in made:
                answer = http.post(
                    f"/api/v1/challenges/{slug}/teams",
                    json={"name": name},
                    headers={"Authorization": f"Bearer {token.secret}"},
                )
                if answer.status_code != 201:
                    raise StackError(f"creating team {name}: {answer.status_code} {answer.text}")
                teams.append(TeamHandle(name, token.secret, int(answer.json()["id"])))
        return teams

    def containers(self) -> list[dict[str, Any]]:
        """Sandbox containers of this stack, running or not (docker's list summaries).

        Told apart from other suites' by what they mount: files under this stack's data dir.
        """
        api = docker.from_env().api
        found = api.containers(all=True, filters={"label": "marea.sandbox=1"})
        mine = str(self.root) + "/"
        return [
            c
            for c in found
            if any(str(m.get("Source", "")).startswith(mine) for m in c.get("Mounts") or [])
        ]
