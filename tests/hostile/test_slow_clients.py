"""Slow and greedy clients against a real `marea serve`, through raw sockets.

An outside tester held a one-worker site's connections open by trickling headers a byte a
second and by stalling uploads after 1 KB, and nothing ever closed them. Here the server
runs with short limits (set through the settings, as an operator would): every way of
holding a connection without finishing a request is closed before a generous deadline,
while a slow but steady upload, which takes longer than both timeouts, still succeeds; and
one address cannot hold more live event streams than its share, while another still can.

Nothing here asserts how fast the server closes, only that it does: the deadline is many
times the configured timeouts.
"""

from __future__ import annotations

import json
import re
import select
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from fastapi.routing import iter_route_contexts
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.tokens import NewToken, create_token
from app.core.db import make_engine, migrate, session_scope
from app.core.settings import Settings
from app.main import create_app
from app.submissions.models import Submission
from app.web.stream_limit import STREAM_PATHS, is_stream
from tests.factories import make_challenge, make_team
from tests.hostile.hostile_world import REDIS_DB
from tests.hostile.served import marea_serve
from tests.redis_urls import redis_url

HEADER_TIMEOUT_S = 2
BODY_IDLE_TIMEOUT_S = 3
STREAMS = 3
DEADLINE_S = 30.0  # many times the timeouts: how long a test waits for the server to close
SLUG = "sea-temp"
QUEUE = "marea-hostile-slow"
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"
EVENTS = f"/api/v1/challenges/{SLUG}/events"
BOUNDARY = "marea-slow-boundary"


@dataclass(frozen=True)
class Site:
    port: int
    token: str
    data_dir: Path

    def connect(self, source: str = "127.0.0.1") -> socket.socket:
        """A connection from `source` (any 127.x.y.z is this host, with its own address)."""
        sock = socket.create_connection(
            ("127.0.0.1", self.port), timeout=DEADLINE_S, source_address=(source, 0)
        )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served site with a published challenge and a participant's team and API token."""
    root = tmp_path_factory.mktemp("slow-clients")
    data_dir = root / "var"
    data_dir.mkdir()
    engine = make_engine(f"sqlite:///{data_dir / 'marea.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        challenge, _ = make_challenge(session, SLUG)
        ada = User(email="ada@example.org", name="Ada")
        session.add(ada)
        session.flush()
        make_team(session, challenge, ada)
        token = create_token(session, ada, "slow clients")
        assert isinstance(token, NewToken)
        secret = token.secret
    engine.dispose()
    flush = redis.Redis.from_url(redis_url(REDIS_DB))
    flush.flushdb()
    env = {
        "MAREA_DATA_DIR": str(data_dir),
        "MAREA_REDIS_URL": redis_url(REDIS_DB),
        "MAREA_QUEUE_NAME": QUEUE,
        "MAREA_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "MAREA_BODY_IDLE_TIMEOUT_S": str(BODY_IDLE_TIMEOUT_S),
        "MAREA_STREAMS_PER_CLIENT": str(STREAMS),
    }
    try:
        with marea_serve(root, env) as (_, port):
            yield Site(port, secret, data_dir)
    finally:
        flush.flushdb()
        flush.close()


# --- talking to the server byte by byte ------------------------------------------------------

Step = tuple[bytes, float]  # send these bytes, then wait this long


def _until_closed(sock: socket.socket, steps: Iterator[Step]) -> bytes | None:
    """Plays `steps`, reading whatever comes, until the server closes the connection.

    Returns what the server sent before closing; None if it was still open at the deadline.
    """
    received = b""
    end = time.monotonic() + DEADLINE_S
    pending = iter(steps)
    while time.monotonic() < end:
        data, pause = next(pending, (b"", DEADLINE_S))
        if data:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                return received
        until = min(time.monotonic() + pause, end)
        while (left := until - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if not readable:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
    return None


def _fast(data: bytes) -> Iterator[Step]:
    yield data, 0.0


def _trickle(data: bytes, every: float) -> Iterator[Step]:
    for i in range(len(data)):
        yield data[i : i + 1], every


def _forever(prefix: bytes, every: float) -> Iterator[Step]:
    """The prefix a byte at a time, then a header value that never ends."""
    yield from _trickle(prefix, every)
    while True:
        yield b"a", every


def _upload_head(site: Site, length: int, *, close: bool = False) -> bytes:
    return (
        f"POST {UPLOAD} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {site.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
    ).encode()


def _multipart(content: bytes) -> bytes:
    part = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="predictions.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    return part.encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


GET_HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _kept_alive_then_trickled(site: Site) -> Iterator[Step]:
    yield GET_HEALTH, 1.0  # answered; the connection is kept alive for the next request
    yield from _forever(b"GET /healthz HTTP/1.1\r\nX-Slow: ", 0.25)


def _stalled_upload(site: Site) -> Iterator[Step]:
    body = _multipart(b"id,value\n" + b"1,0.5\n" * 100_000)
    yield _upload_head(site, len(body)) + body[:1024], 0.0  # then nothing, ever


def _dribbled_upload(site: Site) -> Iterator[Step]:
    """A byte of body less often than the idle timeout allows."""
    body = _multipart(b"id,value\n" + b"1,0.5\n" * 1000)
    yield _upload_head(site, len(body)) + body[:1024], 0.0
    for i in range(1024, len(body)):
        yield body[i : i + 1], BODY_IDLE_TIMEOUT_S + 2


@dataclass(frozen=True)
class Slow:
    name: str
    steps: Callable[[Site], Iterator[Step]]
    status: int | None  # the status the server answers before closing, if it answers


SLOW = [
    Slow("opens a connection and sends nothing", lambda s: iter(()), 408),
    Slow("trickles the request line, a byte every 0.25 s",
         lambda s: _forever(b"GET /healthz HTTP/1.1\r\n", 0.25), 408),
    Slow("sends the request line, then trickles a header",
         lambda s: _forever(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", 0.25), 408),
    Slow("trickles the second request of a kept-alive connection", _kept_alive_then_trickled, 408),
    Slow("sends more than 64 KiB of headers",
         lambda s: _fast(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"), 431),
    Slow("stalls an upload after 1 KB", _stalled_upload, None),
    Slow("sends an upload's body a byte at a time, each after the idle timeout",
         _dribbled_upload, None),
]  # fmt: skip


@pytest.mark.parametrize("slow", SLOW, ids=lambda s: s.name)
def test_a_client_that_does_not_finish_its_request_is_closed(site: Site, slow: Slow) -> None:
    with site.connect() as sock:
        received = _until_closed(sock, slow.steps(site))
    assert received is not None, f"still open after {DEADLINE_S:.0f} s"
    last = received.rsplit(b"HTTP/1.1 ", 1)[-1] if received else b""
    if slow.status is None:
        assert b"HTTP/1.1 2" not in received, received[:300]
    else:
        assert last.startswith(str(slow.status).encode()), received[:300]


def test_a_slow_but_steady_upload_succeeds(site: Site) -> None:
    """Longer in all than both timeouts, but never silent for long: it must go through."""
    content = b"id,value\n" + b"".join(f"{i},0.5\n".encode() for i in range(4000))
    body = _multipart(content)
    pieces = 16
    size = len(body) // pieces + 1
    # Each piece comes well within the idle timeout; all of them take about 8 s.

    def steps() -> Iterator[Step]:
        yield _upload_head(site, len(body), close=True), 0.5
        for i in range(0, len(body), size):
            yield body[i : i + size], 0.5

    with site.connect() as sock:
        received = _until_closed(sock, steps())
    assert received is not None and received.startswith(b"HTTP/1.1 201"), received
    made = json.loads(received.split(b"\r\n\r\n", 1)[1])
    engine = make_engine(f"sqlite:///{site.data_dir / 'marea.db'}")
    with Session(engine) as session:
        stored = session.get(Submission, made["id"])
        assert stored is not None and stored.size == len(content)
    engine.dispose()


# --- live event streams ------------------------------------------------------------------------


def _head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and whatever of the body came with them."""
    data = b""
    end = time.monotonic() + DEADLINE_S
    while b"\r\n\r\n" not in data and time.monotonic() < end:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, rest


Opened = tuple[socket.socket, int, dict[str, str], bytes]


def _open(site: Site, path: str, source: str = "127.0.0.1") -> Opened:
    """A GET of `path` from `source`, its answer's head read, the connection left open."""
    sock = site.connect(source)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    status, headers, rest = _head(sock)
    return sock, status, headers, rest


def test_one_address_holds_at_most_its_share_of_live_streams(site: Site) -> None:
    streams = []
    try:
        for _ in range(STREAMS):
            sock, status, headers, _ = _open(site, EVENTS)
            streams.append(sock)
            assert status == 200 and headers["content-type"].startswith("text/event-stream")
        for path in (EVENTS, "/api/v1/submissions/1/events"):
            sock, status, headers, rest = _open(site, path)
            with sock:
                assert status == 429, (path, status)
                assert re.fullmatch(r"\d+", headers["retry-after"]), headers
                assert headers["cache-control"] == "private, no-store"
                length = int(headers["content-length"])
                while len(rest) < length:
                    rest += sock.recv(65536)
            message = json.loads(rest)["error"]["message"]
            assert f"at most {STREAMS} at once" in message, message
        other, status, _, _ = _open(site, EVENTS, source="127.0.0.2")
        with other:
            assert status == 200, "another address still gets a stream"
        streams.pop().close()  # a place is free again once a stream ends
        end = time.monotonic() + DEADLINE_S
        status = 429
        while status == 429 and time.monotonic() < end:
            sock, status, _, _ = _open(site, EVENTS)
            if status == 200:
                streams.append(sock)
            else:
                sock.close()
                time.sleep(0.2)
        assert status == 200, "a closed stream's place never came back"
    finally:
        for sock in streams:
            sock.close()


def test_every_event_stream_route_is_capped(settings: Settings) -> None:
    """A route ending in /events is a live stream: it must be one the cap counts."""
    app = create_app(settings)
    streams = {
        str(c.path)
        for c in iter_route_contexts(app.routes)
        if str(c.path).endswith("/events")
        # pages, not streams: the events' list and the organisers' events page
        and str(c.path) not in ("/events", "/organise/events")
    }
    assert streams == set(STREAM_PATHS)
    assert is_stream(f"/api/v1/challenges/{uuid.uuid4().hex}/events")
    assert not is_stream(f"/api/v1/challenges/{SLUG}/events/more")
    assert not is_stream("/events")
    assert not is_stream("/organise/events")
