"""A frozen board leaks nothing: not through the JSON API, not through the live stream."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from app.accounts.models import Role
from app.challenges.models import Challenge
from app.core.db import session_scope, utcnow
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.live.events import challenge_channel, publish
from app.submissions.models import Score, Status, Submission
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for
from tests.served import served

URL = "/api/v1/challenges/sea-temp/leaderboard"


def _scored(client: TestClient, cid: int, pid: int, team_id: int, user_id: int, rmse: float,
            minutes_ago: float) -> int:  # fmt: skip
    """A scored submission with its scores, offered to the live board as a worker would."""
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        at = utcnow() - timedelta(minutes=minutes_ago)
        sub = Submission(challenge_id=cid, phase_id=pid, team_id=team_id, user_id=user_id,
                         kind="predictions", file_sha256="a" * 64, filename="p.csv", size=1,
                         status=Status.scored, created_at=at)  # fmt: skip
        session.add(sub)
        session.flush()
        assert sub.id is not None
        values = {"rmse": rmse, "mae": rmse}
        for split in ("public", "private"):
            for key, value in values.items():
                session.add(Score(submission_id=sub.id, split=split, key=key, value=value))
            offer(session, BoardSpec.from_config(ch.config), phase_id=pid, team_id=team_id,
                  split=split, submission_id=sub.id, submitted_at=at, values=values)  # fmt: skip
        return sub.id


def _freeze(client: TestClient, cid: int, minutes_ago: float) -> None:
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.frozen_at = utcnow() - timedelta(minutes=minutes_ago)
        session.add(ch)


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["team"]["name"] for row in response.json()["rows"]]


@pytest.fixture
def board(client: TestClient) -> dict[str, object]:
    cid, pid = challenge(client)
    ada = person(client, "ada@example.org", "Ada")
    bob = person(client, "bob@example.org", "Bob")
    boss = person(client, "boss@example.org", "Boss", Role.organiser)
    delfini = team_for(client, cid, ada, "Delfini")
    balene = team_for(client, cid, bob, "Balene")
    _scored(client, cid, pid, delfini, ada.user_id, rmse=1.0, minutes_ago=60)
    _scored(client, cid, pid, balene, bob.user_id, rmse=2.0, minutes_ago=50)
    _freeze(client, cid, minutes_ago=30)
    # After the freeze Balene overtakes: participants must not learn of it.
    _scored(client, cid, pid, balene, bob.user_id, rmse=0.5, minutes_ago=10)
    return {"cid": cid, "ada": ada, "bob": bob, "boss": boss}


def test_participants_see_the_board_as_it_froze_staff_see_it_live(
    client: TestClient, board: dict[str, object]
) -> None:
    ada, boss = board["ada"], board["boss"]
    assert isinstance(ada, Person) and isinstance(boss, Person)
    anonymous = client.get(URL)
    assert _names(anonymous) == ["Delfini", "Balene"]
    assert anonymous.json()["rows"][1]["scores"]["rmse"] == 2.0  # the later 0.5 stays hidden
    assert _names(client.get(URL, headers=ada.bearer())) == ["Delfini", "Balene"]
    live = client.get(URL, headers=boss.bearer())
    assert _names(live) == ["Balene", "Delfini"]
    assert live.json()["rows"][0]["scores"]["rmse"] == 0.5
    # The cached frozen board is not served to staff, nor the live one to participants.
    assert _names(client.get(URL)) == ["Delfini", "Balene"]


def test_disqualified_teams_are_on_no_board(client: TestClient, board: dict[str, object]) -> None:
    boss = board["boss"]
    assert isinstance(boss, Person)
    with session_scope(engine_of(client)) as session:
        from sqlmodel import select

        from app.teams.models import Team

        team = session.exec(select(Team).where(Team.name == "Balene")).one()
        team.disqualified_reason = "shared code between teams"
        session.add(team)
    assert _names(client.get(URL, headers=boss.bearer())) == ["Delfini"]


@pytest.fixture
def server(client: TestClient) -> Iterator[str]:
    """The same app served by a real uvicorn, so an SSE stream can be read with a timeout."""
    with served(client.app) as url:
        yield url


def _events(url: str, headers: dict[str, str], seen: list[str], stop: threading.Event) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=1.0)) as r:
            for line in r.iter_lines():
                seen.append(line)
                if stop.is_set():
                    return
    except httpx.HTTPError:
        return


def test_the_live_stream_is_silent_for_participants_during_a_freeze(
    server: str, board: dict[str, object], redis_15: redis.Redis
) -> None:
    ada, boss = board["ada"], board["boss"]
    assert isinstance(ada, Person) and isinstance(boss, Person)
    url = f"{server}/api/v1/challenges/sea-temp/events"
    stop = threading.Event()
    participant: list[str] = []
    staff: list[str] = []
    readers = [
        threading.Thread(target=_events, args=(url, ada.bearer(), participant, stop), daemon=True),
        threading.Thread(target=_events, args=(url, boss.bearer(), staff, stop), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 10
    while not (participant and staff) and time.monotonic() < deadline:
        time.sleep(0.05)  # both streams are open (the retry line arrived)
    time.sleep(0.5)
    publish(redis_15, [challenge_channel(int(str(board["cid"])))],
            {"type": "submission", "status": "scored", "phase_id": 1,
             "boards": ["public"]})  # fmt: skip
    deadline = time.monotonic() + 5
    while (
        not any(line.startswith("event: board") for line in staff) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    stop.set()
    assert any(line.startswith("event: board") for line in staff), staff
    assert not any(line.startswith("event: board") for line in participant), participant


def test_the_leaderboard_page_and_its_chart_stop_at_the_freeze(
    client: TestClient, board: dict[str, object]
) -> None:
    boss = board["boss"]
    assert isinstance(boss, Person)
    page = client.get("/challenges/sea-temp/leaderboard?lang=en")
    assert page.status_code == 200
    assert "0.500" not in page.text and "2.000" in page.text
    assert page.text.index("Delfini") < page.text.index("Balene")
    staff_page = boss.client.get("/challenges/sea-temp/leaderboard?lang=en")
    assert "0.500" in staff_page.text


def test_participants_are_told_the_board_is_frozen_and_where_their_scores_are(
    client: TestClient, board: dict[str, object]
) -> None:
    ada, boss = board["ada"], board["boss"]
    assert isinstance(ada, Person) and isinstance(boss, Person)
    for reader in (client, ada.client):
        english = " ".join(reader.get("/challenges/sea-temp/leaderboard?lang=en").text.split())
        assert "The board is frozen since" in english
        assert "Your team's new scores are shown to your team only," in english
        assert "/challenges/sea-temp/submissions" in english
        italian = " ".join(reader.get("/challenges/sea-temp/leaderboard?lang=it").text.split())
        assert "La classifica è congelata dal" in italian
    staff = boss.client.get("/challenges/sea-temp/leaderboard?lang=en").text
    assert "The board is frozen since" not in staff  # staff read the live board
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, board["cid"])
        assert ch is not None
        ch.frozen_at = None
        session.add(ch)
    assert "The board is frozen since" not in client.get("/challenges/sea-temp/leaderboard").text
