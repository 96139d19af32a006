"""Load: 200 uploads at once from the teams of one challenge, each with a smaller daily quota.

Every upload must be accepted (201) or refused by the quota (429 with a reason and when to
try again); each team gets exactly its quota, never one more (the quota check and the insert
are one locked step); every accepted upload is in the database and ends judged. Runs on a
private stack (own Redis, PostgreSQL, `marea serve`, `marea worker`).

`MAREA_LOAD_UPLOADS`, `MAREA_LOAD_TEAMS` and `MAREA_LOAD_QUOTA` change the shape (200, 20,
5 by default). Latency and throughput are printed as JSON.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import median
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.chaos.conftest import env_float, env_int
from tests.chaos.private_stack import PrivateStack, TeamHandle, predictions
from tests.chaos.stack_control import wait_until

UPLOADS = env_int("MAREA_LOAD_UPLOADS", 200)
TEAMS = env_int("MAREA_LOAD_TEAMS", 20)
QUOTA = env_int("MAREA_LOAD_QUOTA", 5)
JUDGED_WITHIN_S = env_float("MAREA_LOAD_JUDGED_WITHIN_S", 600.0)


@dataclass(frozen=True)
class Answer:
    team: TeamHandle
    status: int  # 0 when no answer came (connection dropped, timed out)
    body: dict[str, Any]
    retry_after: str | None
    took_s: float
    problem: str = ""


async def _flood(
    base_url: str, slug: str, plan: list[tuple[TeamHandle, bytes]]
) -> tuple[list[Answer], float]:
    """Every upload at once, each on its own connection; returns answers and the wall time."""
    limits = httpx.Limits(max_connections=len(plan), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        start = asyncio.Event()

        async def one(team: TeamHandle, payload: bytes) -> Answer:
            await start.wait()
            began = time.monotonic()
            try:
                answer = await http.post(
                    f"/api/v1/challenges/{slug}/submissions",
                    files={"file": ("predictions.csv", payload, "text/csv")},
                    headers=team.bearer(),
                )
            except httpx.HTTPError as exc:
                return Answer(team, 0, {}, None, time.monotonic() - began, repr(exc))
            took = time.monotonic() - began
            try:
                body = answer.json()
            except ValueError:
                return Answer(team, answer.status_code, {}, None, took, answer.text[:300])
            return Answer(team, answer.status_code, body, answer.headers.get("Retry-After"), took)

        tasks = [asyncio.create_task(one(team, payload)) for team, payload in plan]
        await asyncio.sleep(0)
        began = time.monotonic()
        start.set()
        answers = await asyncio.gather(*tasks)
        return answers, time.monotonic() - began


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


@pytest.mark.timeout(JUDGED_WITHIN_S + 300)
def test_a_burst_of_uploads_gets_exactly_each_teams_quota_and_loses_nothing(
    private_stack: PrivateStack,
) -> None:
    stack = private_stack
    assert UPLOADS // TEAMS > QUOTA, "each team must try more uploads than its quota"
    slug = stack.load_challenge({"per_day": QUOTA, "total": 1000, "concurrent": 1000})
    teams = stack.teams(slug, TEAMS, "Load")
    plan = [(teams[i % TEAMS], predictions(0.5 + 0.001 * i)) for i in range(UPLOADS)]

    answers, wall_s = asyncio.run(_flood(stack.site.base_url, slug, plan))

    statuses = Counter(a.status for a in answers)
    others = [a for a in answers if a.status not in (201, 429)]
    assert others == [], (
        f"{len(others)} uploads neither accepted nor refused by the quota: {dict(statuses)}; "
        f"first: {[(a.status, a.problem or a.body) for a in others[:3]]}"
    )
    accepted: dict[int, list[int]] = defaultdict(list)
    for a in answers:
        if a.status == 201:
            accepted[a.team.team_id].append(int(a.body["id"]))
            continue
        message = a.body["error"]["message"]
        assert a.body["error"]["status"] == 429
        assert f"used its {QUOTA} submissions for today" in message, message
        assert a.retry_after is not None and int(a.retry_after) > 0
    assert statuses[201] + statuses[429] == UPLOADS
    assert {t.team_id: len(accepted[t.team_id]) for t in teams} == {t.team_id: QUOTA for t in teams}

    # Every accepted upload is in the database, once, and ends judged.
    ids = sorted(i for team_ids in accepted.values() for i in team_ids)
    with stack.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.id, s.team_id FROM submission s JOIN challenge c "
                "ON c.id = s.challenge_id WHERE c.slug = :slug ORDER BY s.id"
            ),
            {"slug": slug},
        ).all()
    assert [r.id for r in rows] == ids
    assert all(r.id in accepted[r.team_id] for r in rows)

    def statuses_now() -> Counter[str]:
        with stack.engine.connect() as conn:
            found = conn.execute(
                text("SELECT status FROM submission WHERE id = ANY(:ids)"), {"ids": ids}
            ).all()
        return Counter(r.status for r in found)

    judged_s = wait_until(
        lambda: statuses_now()["scored"] == len(ids), JUDGED_WITHIN_S, "every upload judged", 1.0
    )
    latencies = [a.took_s for a in answers]
    figures = {
        "uploads": UPLOADS,
        "teams": TEAMS,
        "quota_per_day": QUOTA,
        "accepted": statuses[201],
        "refused_429": statuses[429],
        "wall_s": round(wall_s, 2),
        "throughput_per_s": round(UPLOADS / wall_s, 1),
        "p50_s": round(median(latencies), 3),
        "p99_s": round(_percentile(latencies, 0.99), 3),
        "max_s": round(max(latencies), 3),
        "p50_accepted_s": round(median(a.took_s for a in answers if a.status == 201), 3),
        "p50_refused_s": round(median(a.took_s for a in answers if a.status == 429), 3),
        "all_judged_after_s": round(judged_s, 1),
    }
    print("\nLOAD FIGURES " + json.dumps(figures))
