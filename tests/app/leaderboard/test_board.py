"""The board through the API: kept incrementally, ranked, cached, refreshed by live events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.db import session_scope, utcnow
from app.core.settings import Settings
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.live.events import challenge_channel, publish
from app.main import create_app
from app.models import Submission
from tests.factories import make_challenge, make_team, make_user

CONFIG = {
    "leaderboard": {
        "columns": [
            {
                "key": "rmse",
                "label": {"it": "RMSE", "en": "RMSE"},
                "better": "lower",
                "precision": 2,
            },
            {"key": "r2", "label": {"it": "R2", "en": "R2"}, "better": "higher", "precision": 3},
        ],
        "rank_by": "rmse",
        "tie_breakers": ["r2"],
    },
    "licence": "CC-BY-4.0",
}
SPEC = BoardSpec.from_config(CONFIG)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _seed(engine: Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        challenge, phase = make_challenge(session, "sea-temp")
        challenge.config = CONFIG
        session.add(challenge)
        for name in ("Delfini", "Balene", "Meduse"):
            user = make_user(session, f"{name.lower()}@x.org", name)
            team = make_team(session, challenge, user, name)
            assert team.id is not None
            ids[name] = team.id
        ids["phase"] = phase.id or 0
        ids["challenge"] = challenge.id or 0
        ids["user"] = user.id or 0
    return ids


def _score(
    engine: Engine, ids: dict[str, int], team: str, rmse: float, r2: float, minutes: int
) -> bool:
    with session_scope(engine) as session:
        sub = Submission(
            challenge_id=ids["challenge"], phase_id=ids["phase"], team_id=ids[team],
            user_id=ids["user"], kind="predictions", file_sha256="a" * 64, filename="p.csv", size=1,
            created_at=utcnow() - timedelta(hours=1) + timedelta(minutes=minutes),
        )  # fmt: skip
        session.add(sub)
        session.flush()
        assert sub.id is not None
        return offer(
            session, SPEC, phase_id=ids["phase"], team_id=ids[team], split="public",
            submission_id=sub.id, submitted_at=sub.created_at, values={"rmse": rmse, "r2": r2},
        )  # fmt: skip


def test_one_row_per_team_its_best_score_with_equal_ranks(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    ids = _seed(engine)
    assert _score(engine, ids, "Delfini", 1.5, 0.5, 1)
    assert _score(engine, ids, "Delfini", 1.2, 0.6, 2)  # better: replaces
    assert not _score(engine, ids, "Delfini", 1.9, 0.9, 3)  # worse: ignored
    assert _score(engine, ids, "Balene", 1.2, 0.6, 4)  # ties Delfini, later
    assert _score(engine, ids, "Meduse", 0.9, 0.1, 5)
    board = client.get("/api/v1/challenges/sea-temp/leaderboard").json()
    assert [(r["rank"], r["team"]["name"]) for r in board["rows"]] == [
        (1, "Meduse"),
        (2, "Delfini"),
        (2, "Balene"),
    ]
    assert board["rows"][1]["scores"] == {"rmse": 1.2, "r2": 0.6}
    assert [c["key"] for c in board["columns"]] == ["rmse", "r2"]


def test_private_board_is_hidden_until_revealed(client: TestClient) -> None:
    _seed(client.app.state.engine)  # type: ignore[attr-defined]
    response = client.get("/api/v1/challenges/sea-temp/leaderboard?split=private")
    assert response.status_code == 403
    assert "revealed" in response.json()["error"]["message"]


def test_unknown_phase_names_the_phases(client: TestClient) -> None:
    _seed(client.app.state.engine)  # type: ignore[attr-defined]
    response = client.get("/api/v1/challenges/sea-temp/leaderboard?phase=nope")
    assert response.status_code == 404
    assert "development" in response.json()["error"]["message"]
    bad = client.get("/api/v1/challenges/sea-temp/leaderboard?split=secret")
    assert bad.status_code == 422 and "split" in bad.json()["error"]["message"]


def test_cached_board_is_refreshed_by_a_live_event(client: TestClient, settings: Settings) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    ids = _seed(engine)
    _score(engine, ids, "Delfini", 1.5, 0.5, 1)
    url = "/api/v1/challenges/sea-temp/leaderboard"
    assert [r["team"]["name"] for r in client.get(url).json()["rows"]] == ["Delfini"]
    _score(engine, ids, "Balene", 1.0, 0.5, 2)
    # Without an event the cached board is served unchanged...
    assert [r["team"]["name"] for r in client.get(url).json()["rows"]] == ["Delfini"]
    # ...and the event, through real Redis pub/sub, makes the next request see the change.
    hub = client.app.state.hub  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while not hub.connected.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    publish(
        redis.Redis.from_url(settings.redis_url),
        [challenge_channel(ids["challenge"])],
        {"type": "submission", "status": "scored", "phase_id": ids["phase"], "boards": ["public"]},
    )
    names: list[str] = []
    while time.monotonic() < deadline:
        names = [r["team"]["name"] for r in client.get(url).json()["rows"]]
        if names == ["Balene", "Delfini"]:
            break
        time.sleep(0.05)
    assert names == ["Balene", "Delfini"]


def test_pages_of_the_board_and_the_rows_around_a_team(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    ids = _seed(engine)
    for minutes, (team, rmse) in enumerate((("Delfini", 1.0), ("Balene", 2.0), ("Meduse", 3.0))):
        assert _score(engine, ids, team, rmse, 0.5, minutes)
    url = "/api/v1/challenges/sea-temp/leaderboard"
    whole = client.get(url).json()
    assert whole["total"] == 3 and "offset" not in whole
    names = [r["team"]["name"] for r in whole["rows"]]
    assert names == ["Delfini", "Balene", "Meduse"]
    page = client.get(url, params={"limit": 2, "offset": 1}).json()
    assert [r["team"]["name"] for r in page["rows"]] == names[1:3]
    assert (page["total"], page["offset"], page["limit"]) == (3, 1, 2)
    assert [r["rank"] for r in page["rows"]] == [2, 3], "a page keeps the board's ranks"
    top = client.get(url, params={"limit": 1}).json()
    assert [r["team"]["name"] for r in top["rows"]] == ["Delfini"] and top["total"] == 3
    beyond = client.get(url, params={"limit": 5, "offset": 10}).json()
    assert beyond["rows"] == [] and beyond["total"] == 3
    around = client.get(url, params={"around": ids["Meduse"]}).json()
    assert [r["team"]["name"] for r in around["rows"]] == names, "10 above and below, clipped"
    assert (around["offset"], around["total"]) == (0, 3)
    missing = client.get(url, params={"around": 999_999})
    assert missing.status_code == 404 and "no row" in missing.json()["error"]["message"]
    both = client.get(url, params={"around": ids["Meduse"], "limit": 2})
    assert both.status_code == 422 and "not both" in both.json()["error"]["message"]
    assert client.get(url, params={"limit": 0}).status_code == 422


def test_the_fast_path_answers_exactly_as_the_documented_route(settings: Settings) -> None:
    """GETs of the board skip the router (app/api/board_path.py); the route they skip must
    give the same status and body for every query, good or bad."""
    from app.api.board_path import BoardPathMiddleware

    direct = create_app(settings)
    routed = create_app(settings, run_migrations=False)
    routed.user_middleware = [m for m in routed.user_middleware if m.cls is not BoardPathMiddleware]
    ids = _seed(direct.state.engine)
    for minutes, (team, rmse) in enumerate((("Delfini", 1.0), ("Balene", 2.0), ("Meduse", 3.0))):
        assert _score(direct.state.engine, ids, team, rmse, 0.5, minutes)
    queries = [
        "", "?limit=2", "?limit=2&offset=1", "?offset=5", f"?around={ids['Balene']}",
        "?around=999999", "?limit=0", "?limit=10001", "?limit=x", "?offset=-1",
        "?split=private", "?split=secret", "?phase=development", "?phase=nope",
        f"?around={ids['Balene']}&limit=2", "?around=0", "?limit=1.5", "?limit=%203", "?limit=+2",
        "?limit=2&limit=3", "?limit=",
    ]  # fmt: skip
    with TestClient(direct) as fast, TestClient(routed) as slow:
        for path in (
            "/api/v1/challenges/sea-temp/leaderboard",
            "/api/v1/challenges/nope/leaderboard",
        ):
            for query in queries:
                a, b = fast.get(path + query), slow.get(path + query)
                assert (a.status_code, a.json()) == (b.status_code, b.json()), path + query
                assert a.headers["content-type"] == b.headers["content-type"], path + query
