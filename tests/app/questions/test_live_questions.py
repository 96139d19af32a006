"""Questions live: a new one reaches the organisers' stream, an answer the asking team's, a
publication everyone's; another team's stream carries nothing while it concerns them not."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from app.web.stream_limit import is_stream
from tests.app.questions.question_helpers import ORGANISE, PAGE, ask, post, question_ids, world
from tests.app.web.web_helpers import Person

EVENTS = "/api/v1/challenges/sea-temp/questions/events"


class Reader:
    """One stream read in a thread: every line as it arrives."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.status = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self.thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            timeout = httpx.Timeout(5, read=1.0)
            with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    self.lines.append(line)
                    if self.stop.is_set():
                        return
        except httpx.HTTPError:
            return

    def events(self) -> int:
        return sum(1 for line in self.lines if line == "event: questions")


def _until(check: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _session_cookie(who: Person) -> dict[str, str]:
    return {"Cookie": f"marea_session={who.client.cookies['marea_session']}"}


def test_questions_and_answers_travel_live_to_exactly_who_may_read_them(
    client: TestClient, served: str
) -> None:
    client.app.state.settings.sse_keepalive_s = 0.3  # type: ignore[attr-defined]
    w = world(client)
    readers = {
        "boss": Reader(served + ORGANISE + "/events", _session_cookie(w.boss)),
        "ada": Reader(served + EVENTS, w.ada.bearer()),
        "bea": Reader(served + EVENTS, _session_cookie(w.bea)),
        "eve": Reader(served + EVENTS, w.eve.bearer()),
        "anonymous": Reader(served + EVENTS, {}),
    }
    assert _until(lambda: all(r.lines for r in readers.values())), "every stream opened"
    assert all(r.status == 200 for r in readers.values())

    assert ask(w.ada, "Does the final phase use new buoys?")[0] == 303
    assert _until(lambda: readers["boss"].events() == 1), readers["boss"].lines
    assert _until(lambda: readers["bea"].events() == 1), "the team-mate sees it appear"
    [qid] = question_ids(client)

    post(w.boss, f"{ORGANISE}/{qid}/answer", ORGANISE, answer="No, the same ones.")
    assert _until(lambda: readers["ada"].events() == 2 and readers["bea"].events() == 2)
    assert _until(lambda: readers["boss"].events() == 2)
    time.sleep(1.0)  # keep-alives go on; nothing else may come to the others
    assert readers["eve"].events() == 0 and readers["anonymous"].events() == 0
    assert {line for line in readers["eve"].lines} <= {"retry: 2000", "", ": keep-alive"}

    post(w.boss, f"{ORGANISE}/{qid}/publish", ORGANISE,
         wording="Does the final phase use new buoys?", answer="No, the same ones.")  # fmt: skip
    assert _until(lambda: readers["eve"].events() == 1 and readers["anonymous"].events() == 1)
    assert _until(lambda: readers["ada"].events() == 3)
    for reader in readers.values():
        reader.stop.set()
    for reader in readers.values():
        reader.thread.join(5)


def test_the_streams_are_refused_to_who_may_not_read_them_and_counted(
    client: TestClient,
) -> None:
    w = world(client)
    assert is_stream(EVENTS) and is_stream(ORGANISE + "/events")
    assert w.other.client.get(ORGANISE + "/events").status_code == 404
    assert w.eve.client.get(ORGANISE + "/events").status_code == 403
    anonymous = client.get(ORGANISE + "/events", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    assert client.get("/api/v1/challenges/nowhere/questions/events").status_code == 404
    page = w.ada.client.get(PAGE).text
    assert f'data-events="{EVENTS}"' in page and "/static/questions.js" in page
    challenge_page = client.get("/challenges/sea-temp").text  # published answers come live too
    assert f'data-events="{EVENTS}"' in challenge_page and "/static/questions.js" in challenge_page
    organise = w.boss.client.get(ORGANISE).text
    assert f'data-events="{ORGANISE}/events"' in organise
