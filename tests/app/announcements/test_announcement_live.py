"""The live banner: a new announcement reaches the streams of its audience, and nothing at all
reaches a reader outside it (what they receive is the same as if it had not been posted)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.app.announcements.ann_helpers import World, post
from tests.served import served

MANAGE = "/organise/sea/announcements"


@pytest.fixture
def server(client: TestClient) -> Iterator[str]:
    with served(client.app) as url:
        yield url


def _cookie(client: TestClient | None) -> dict[str, str]:
    """The browser's session cookie, for a request to the served app at another host name."""
    if client is None:
        return {}
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


def _read(url: str, headers: dict[str, str], seen: list[str], stop: threading.Event) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30.0)) as r:
            seen.append(f"status: {r.status_code}")
            for line in r.iter_lines():
                seen.append(line)
                if stop.is_set():
                    return
    except httpx.HTTPError:
        return


def _wait(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)


def _frames(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(("event:", "data:"))]


@pytest.mark.parametrize("ann_settings", ["sqlite"], indirect=True)
def test_a_judges_announcement_reaches_the_judge_and_not_an_outsider(
    server: str, world: World
) -> None:
    url = f"{server}/announcements/events?challenge=sea"
    stop = threading.Event()
    judge: list[str] = []
    outsider: list[str] = []
    anonymous: list[str] = []
    readers = [
        threading.Thread(
            target=_read, args=(url, _cookie(world.people["judge"].client), judge, stop)
        ),
        threading.Thread(
            target=_read, args=(url, _cookie(world.people["outsider"].client), outsider, stop)
        ),
        threading.Thread(target=_read, args=(url, _cookie(None), anonymous, stop)),
    ]
    for reader in readers:
        reader.daemon = True
        reader.start()
    _wait(lambda: all(any(s.startswith("retry") for s in x) for x in (judge, outsider, anonymous)))
    assert judge[0] == outsider[0] == "status: 200"
    time.sleep(0.3)
    before = list(_frames(outsider))
    assert post(world.people["organiser"], MANAGE, audience="judges", title_en="Judges meet") == 303
    _wait(lambda: any("Cambio di orario" in line for line in judge))
    time.sleep(0.5)  # would an outsider's stream have got something, it would be here by now
    assert any(line == "event: announcement" for line in judge), judge
    assert any("Cambio di orario" in line for line in judge)
    assert _frames(outsider) == before == [], outsider
    assert _frames(anonymous) == [], anonymous
    # the same stream does carry what an outsider may read: it was open, and silent by choice
    assert post(world.people["organiser"], MANAGE, title_it="Per tutti") == 303
    # Both open streams get it; each is waited for (in these tests the hub runs on the test
    # client's event loop and the served streams on uvicorn's, so a wake-up can lag).
    _wait(lambda: all(any("Per tutti" in line for line in x) for x in (outsider, anonymous)))
    stop.set()
    assert any("Per tutti" in line for line in outsider), outsider
    assert not any("Cambio" in line for line in outsider)
    assert any("Per tutti" in line for line in anonymous), anonymous


@pytest.mark.parametrize("ann_settings", ["sqlite"], indirect=True)
def test_an_event_stream_is_counted_and_unknown_places_are_404(
    client: TestClient, world: World
) -> None:
    from app.web.stream_limit import is_stream

    assert is_stream("/announcements/events")
    assert client.get("/announcements/events?challenge=nope").status_code == 404
    assert client.get("/announcements/events").status_code == 404


@pytest.mark.parametrize("ann_settings", ["sqlite"], indirect=True)
def test_an_event_wide_announcement_reaches_its_challenges_pages_too(
    server: str, world: World
) -> None:
    stop = threading.Event()
    member: list[str] = []  # on the page of a challenge of the event
    outsider: list[str] = []  # on the event's page
    readers = [
        threading.Thread(
            target=_read,
            args=(f"{server}/announcements/events?challenge=air",
                  _cookie(world.people["air_member"].client), member, stop),
        ),
        threading.Thread(
            target=_read,
            args=(f"{server}/announcements/events?event=festa",
                  _cookie(world.people["outsider"].client), outsider, stop),
        ),
    ]  # fmt: skip
    for reader in readers:
        reader.daemon = True
        reader.start()
    _wait(lambda: all(any(s.startswith("retry") for s in x) for x in (member, outsider)))
    time.sleep(0.3)
    org = world.people["organiser"]
    assert post(org, "/events/festa/announcements/manage", audience="teams") == 303
    _wait(lambda: any("/challenges/air/announcements#announcement-" in x for x in member))
    time.sleep(0.5)
    assert any("/challenges/air/announcements#announcement-" in line for line in member), member
    assert _frames(outsider) == [], outsider
    assert post(org, "/events/festa/announcements/manage", title_it="Aperto a tutti") == 303
    _wait(lambda: any("Aperto a tutti" in line for line in outsider))
    stop.set()
    assert any("Aperto a tutti" in line for line in outsider), outsider
