"""A running contest for the integrity suites: two web processes, a real worker, real people.

Two apps built by `create_app` are served by uvicorn on their own ports, each
with its own event hub, challenge states and board cache, exactly as two web
processes would be; `marea worker` judges in the Docker sandbox; Redis and the
database are shared. People sign up and log in through the site's forms
(browser sessions) and hold API tokens. Submissions are uploaded through the
API and judged for real.

What an audience sees is read with `Observer.snapshot`: every channel it can
reach, each as status, headers and body bytes, so two snapshots compare
byte for byte. Only headers that change with the clock (Date, and Set-Cookie,
whose signed value carries a timestamp) are left out, and they are named here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.service import create_user
from app.accounts.tokens import create_token
from app.bundles.load import LoadOutcome, load_into_db
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.runtime import open_runtime
from app.core.settings import Settings
from app.main import create_app
from app.submissions.models import Status, Submission
from tests.app.queue.conftest import make_bundle
from tests.process_helpers import descendants

MAREA = str(Path(sys.executable).with_name("marea"))
PASSWORD = "correct horse battery"
CLOCK_HEADERS = frozenset({"date", "set-cookie"})  # change with the clock, not with the data
# Parts of a body that change with the clock, not the data: a team's signed invitation link
# carries the moment it was signed. Masked, with their length kept, before bodies are compared.
CLOCK_PATTERNS = (re.compile(rb"/join/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),)
ANSWERS = "reference/answers.csv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebProcess:
    """One served app: its own hub, challenge states and board cache."""

    app: FastAPI
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    @classmethod
    def start(cls, settings: Settings) -> WebProcess:
        app = create_app(settings)
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        process = cls(app, f"http://127.0.0.1:{port}", server, thread)
        hub = app.state.hub
        while not hub.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.connected.is_set(), "the web process's event hub did not reach Redis"
        return process

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@dataclass
class Person:
    name: str
    email: str
    user_id: int
    token: str
    browsers: dict[str, httpx.Client] = field(default_factory=dict)

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def browser(self, web: WebProcess) -> httpx.Client:
        """A browser (cookie jar) logged in through `web`'s login form."""
        client = self.browsers.get(web.url)
        if client is None:
            client = httpx.Client(base_url=web.url, timeout=30)
            token = csrf_of(client.get("/login").text)
            answer = client.post(
                "/login",
                data={"email": self.email, "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
            self.browsers[web.url] = client
        return client

    def api(self, web: WebProcess) -> httpx.Client:
        return httpx.Client(base_url=web.url, headers=self.bearer(), timeout=30)

    def post_form(self, web: WebProcess, path: str, **data: str) -> httpx.Response:
        """A form post through the site, with the CSRF token of the person's session."""
        browser = self.browser(web)
        token = csrf_of(browser.get("/account").text)
        return browser.post(path, data={**data, "csrf_token": token}, follow_redirects=False)

    def close(self) -> None:
        for client in self.browsers.values():
            client.close()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@dataclass
class Contest:
    """The site, its worker, one published challenge with an open predictions phase."""

    settings: Settings
    web: list[WebProcess]
    worker: subprocess.Popen[bytes]
    redis: redis.Redis
    slug: str
    challenge_id: int
    phase_id: int
    truth: dict[str, tuple[float, str]]  # id -> (answer, split)
    work: Path
    log: Path
    people: dict[str, Person] = field(default_factory=dict)
    _made: int = 0

    @property
    def a(self) -> WebProcess:
        return self.web[0]

    @property
    def b(self) -> WebProcess:
        return self.web[1]

    def engine(self) -> Any:
        return self.a.app.state.engine

    def person(self, name: str, role: Role = Role.participant) -> Person:
        email = f"{name.lower()}@example.org"
        with Session(self.engine(), expire_on_commit=False) as session:
            user = create_user(session, email=email, name=name, password=PASSWORD, role=role)
            assert isinstance(user, User) and user.id is not None
            made = create_token(session, user, "integrity")
            assert not isinstance(made, Exception) and hasattr(made, "secret")
            session.commit()
            who = Person(name, email, user.id, made.secret)  # type: ignore[union-attr]
        self.people[name] = who
        return who

    def team(self, captain: Person, name: str) -> int:
        """A team made on the team page, as a captain would."""
        answer = captain.post_form(self.a, f"/challenges/{self.slug}/team/create", name=name)
        assert answer.status_code == 303, answer.text
        return self.team_id(name)

    def team_id(self, name: str) -> int:
        from app.teams.models import Team

        with Session(self.engine()) as session:
            team = session.exec(
                select(Team).where(Team.challenge_id == self.challenge_id, Team.name == name)
            ).one()
            assert team.id is not None
            return team.id

    def predictions(self, public_error: float, private_error: float) -> bytes:
        """A predictions file whose RMSE is `public_error` on public rows, `private_error` on
        private ones (every row off by that much)."""
        out = io.StringIO()
        out.write("id,wave_height\n")
        for row_id, (answer, split) in self.truth.items():
            error = public_error if split == "public" else private_error
            out.write(f"{row_id},{answer + error:.6f}\n")
        return out.getvalue().encode()

    def submit(self, who: Person, public_error: float, private_error: float) -> int:
        """Upload through the API and wait until the worker has judged it."""
        self._made += 1
        body = self.predictions(public_error, private_error)
        with who.api(self.a) as api:
            answer = api.post(
                f"/api/v1/challenges/{self.slug}/submissions",
                files={"file": ("predictions.csv", body, "text/csv")},
            )
        assert answer.status_code == 201, answer.text
        submission_id = int(answer.json()["id"])
        self.wait_judged(submission_id)
        return submission_id

    def wait_judged(self, submission_id: int, timeout: float = 120) -> Submission:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with Session(self.engine()) as session:
                row = session.get(Submission, submission_id)
                if row is not None and row.status in (Status.scored, Status.failed):
                    assert row.status == Status.scored, (row.failure, row.message)
                    return row
            time.sleep(0.1)
        pytest.fail(f"submission {submission_id} was not judged:\n{self.log.read_text()[-3000:]}")

    def settle(self, seconds: float = 0.6) -> None:
        """Let events that were published reach every web process (pub/sub is asynchronous)."""
        time.sleep(seconds)

    def organiser_action(self, organiser: Person, action: str, **form: str) -> None:
        answer = organiser.post_form(self.a, f"/organise/{self.slug}/{action}", **form)
        assert answer.status_code == 303, (action, answer.status_code, answer.text[-2000:])


@contextlib.contextmanager
def running_contest(tmp_path: Path, redis_db: int, *, database_url: str = "") -> Iterator[Contest]:
    from tests.redis_urls import redis_url

    url = redis_url(redis_db)
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {url} (run `make services`): {exc}")
    database_url = database_url or f"sqlite:///{tmp_path / 'marea.db'}"
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=url,
        queue_name=f"marea-integrity-{redis_db}",
        sse_keepalive_s=1.0,
    )
    runtime = open_runtime(settings)
    bundle = _bundle(tmp_path / "bundle")
    outcome = load_into_db(runtime, bundle, publish=True)
    assert isinstance(outcome, LoadOutcome)
    with Session(runtime.engine) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == outcome.slug)).one()
        phase = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).one()
        assert challenge.id is not None and phase.id is not None
        ids = (challenge.id, phase.id)
    truth = {
        row["id"]: (float(row["wave_height"]), row["split"])
        for row in csv.DictReader((bundle / ANSWERS).open())
    }
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(settings.data_dir),
        "MAREA_DATABASE_URL": database_url,
        "MAREA_REDIS_URL": url,
        "MAREA_QUEUE_NAME": settings.queue_name,
    }
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [MAREA, "worker", "--processes", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    web: list[WebProcess] = []
    contest: Contest | None = None
    try:
        web = [WebProcess.start(settings), WebProcess.start(settings)]
        contest = Contest(
            settings, web, worker, client, outcome.slug, ids[0], ids[1], truth, tmp_path, log
        )
        yield contest
    finally:
        if contest is not None:
            for who in contest.people.values():
                who.close()
        for process in web:
            process.stop()
        _stop(worker)
        client.flushdb()
        client.close()
        runtime.engine.dispose()


def _bundle(dest: Path) -> Path:
    """The valid fixture bundle, one open predictions phase; its end is half an hour off the
    minute of now, so countdowns on pages cannot tick over while a test compares them."""
    path = make_bundle(dest)
    from ruamel.yaml import YAML

    yaml = YAML()
    config = yaml.load((path / "challenge.yaml").read_text())
    end = utcnow().replace(second=0, microsecond=0) + timedelta(days=30, minutes=30)
    config["phases"][0]["end"] = end.isoformat()
    with (path / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return path


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for pid in [worker.pid, *descendants(worker.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)


# --- what an audience observes ------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One channel as a reader got it: everything but the clock's headers."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, response: httpx.Response) -> Seen:
        headers = tuple(
            sorted(
                (k.lower(), v)
                for k, v in response.headers.items()
                if k.lower() not in CLOCK_HEADERS
            )
        )
        body = response.content
        for pattern in CLOCK_PATTERNS:
            body = pattern.sub(lambda m: b"#" * len(m.group(0)), body)
        return cls(response.status_code, headers, body)


@dataclass
class Stream:
    """An SSE stream read in the background: every line with the moment it arrived."""

    url: str
    headers: dict[str, str]
    lines: list[tuple[float, str]] = field(default_factory=list)
    opened_at: float = 0.0
    status: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Stream:
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.lines and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.lines, f"the stream {self.url} sent nothing (status {self.status})"
        return self

    def _read(self) -> None:
        try:
            with httpx.stream(
                "GET", self.url, headers=self.headers, timeout=httpx.Timeout(10, read=3.0)
            ) as response:
                self.status = response.status_code
                self.opened_at = time.monotonic()
                for line in response.iter_lines():
                    self.lines.append((time.monotonic(), line))
                    if self._stop.is_set():
                        return
        except httpx.HTTPError:
            return

    def mark(self) -> int:
        return len(self.lines)

    def events_since(self, mark: int) -> list[str]:
        return [line for _, line in self.lines[mark:] if line.startswith(("event:", "data:"))]

    def keepalives_between(self, start: float, end: float) -> list[float]:
        return [at for at, line in self.lines if line == ": keep-alive" and start <= at <= end]

    def close(self) -> None:
        self._stop.set()


Channel = Callable[[], httpx.Response]


@dataclass
class Observer:
    """One audience: what it can fetch, by name."""

    name: str
    channels: dict[str, Channel]

    def snapshot(self) -> dict[str, Seen]:
        """Each channel read twice, the second kept: a board cache hands out its previous
        version once while it rebuilds (stale while revalidate), and that is not news."""
        for fetch in self.channels.values():
            fetch()
        return {name: Seen.of(fetch()) for name, fetch in self.channels.items()}


def board_channels(contest: Contest, web: WebProcess, client: httpx.Client) -> dict[str, Channel]:
    """Every public view of the contest: the JSON board, the page with its chart, the challenge."""
    slug = contest.slug
    return {
        "api board": lambda: client.get(f"{web.url}/api/v1/challenges/{slug}/leaderboard"),
        "api challenge": lambda: client.get(f"{web.url}/api/v1/challenges/{slug}"),
        "api catalog": lambda: client.get(f"{web.url}/api/v1/challenges"),
        "board page": lambda: client.get(f"{web.url}/challenges/{slug}/leaderboard?lang=en"),
        "board page it": lambda: client.get(f"{web.url}/challenges/{slug}/leaderboard?lang=it"),
        "challenge page": lambda: client.get(f"{web.url}/challenges/{slug}?lang=en"),
    }


def team_channels(contest: Contest, web: WebProcess, who: Person) -> dict[str, Channel]:
    """What a member of a team sees of their own team: its submissions, its team page."""
    browser = who.browser(web)
    api = httpx.Client(headers=who.bearer(), timeout=30)
    slug = contest.slug
    return {
        "api submissions": lambda: api.get(f"{web.url}/api/v1/challenges/{slug}/submissions"),
        "team page": lambda: browser.get(f"/challenges/{slug}/team?lang=en"),
        "submissions page": lambda: browser.get(f"/challenges/{slug}/submissions?lang=en"),
    }


def differences(before: dict[str, Seen], after: dict[str, Seen]) -> list[str]:
    """The channels that differ, each with a short account of how."""
    found: list[str] = []
    for name in before:
        old, new = before[name], after[name]
        if old == new:
            continue
        what = []
        if old.status != new.status:
            what.append(f"status {old.status} -> {new.status}")
        if old.headers != new.headers:
            what.append(f"headers {set(old.headers) ^ set(new.headers)}")
        if old.body != new.body:
            at = next(
                (i for i, (x, y) in enumerate(zip(old.body, new.body, strict=False)) if x != y),
                min(len(old.body), len(new.body)),
            )
            what.append(
                f"body {len(old.body)} -> {len(new.body)} bytes, first difference at {at}: "
                f"{old.body[max(0, at - 60) : at + 60]!r} -> {new.body[max(0, at - 60) : at + 60]!r}"
            )
        found.append(f"{name}: {', '.join(what)}")
    return found
