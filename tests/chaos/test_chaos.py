"""Chaos: submissions in flight while workers are SIGKILLed and Redis, the site and PostgreSQL restart.

Every accepted submission must end scored, or failed with a message; none may be lost, none
counted twice on the board, none left running; and no sandbox container may outlive the run.
The stack is private (its own Redis, PostgreSQL, `marea serve`, `marea worker` kept alive by a
restart loop as systemd would), so breaking it disturbs no other suite.

`MAREA_CHAOS_SUBMISSIONS` sets the number of submissions: 100 by default, with every fault and
the kills several times (about a minute on two cores); under 50, one of each fault. Faults are
spread over the run by progress, so each strikes while submissions are in flight. The figures
(total time, recovery after each fault, attempts) are printed as JSON.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from statistics import median
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.chaos.chaos_watch import FaultRecord, Watcher, diagnose, settle, strike
from tests.chaos.conftest import env_float, env_int
from tests.chaos.private_stack import (
    PrivateStack,
    TeamHandle,
    broken_predictions,
    predictions,
)

SUBMISSIONS = env_int("MAREA_CHAOS_SUBMISSIONS", 100)
DEADLINE_S = env_float("MAREA_CHAOS_DEADLINE_S", 600.0)
CONTAINERS_GONE_S = env_float("MAREA_CHAOS_CONTAINERS_GONE_S", 120.0)
# The kills strike several times in the full run; the small run has one of each fault.
FULL_FAULTS = [
    "kill_horse",
    "restart_redis",
    "kill_worker",
    "restart_web",
    "kill_host",
    "restart_postgres",
    "kill_horse",
]
SMALL_FAULTS = ["kill_horse", "restart_redis", "restart_web", "kill_host", "restart_postgres"]


def _plan(teams: list[TeamHandle], count: int) -> list[tuple[TeamHandle, bytes, bool]]:
    """Who submits what: distinct constant predictions, and every tenth one broken."""
    plan = []
    for i in range(count):
        broken = i % 10 == 9
        payload = broken_predictions() if broken else predictions(0.5 + 0.01 * i)
        plan.append((teams[i % len(teams)], payload, broken))
    return plan


def _upload(base_url: str, slug: str, team: TeamHandle, payload: bytes) -> tuple[int, str, float]:
    began = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=60) as http:
        answer = http.post(
            f"/api/v1/challenges/{slug}/submissions",
            files={"file": ("predictions.csv", payload, "text/csv")},
            headers=team.bearer(),
        )
    took = time.monotonic() - began
    if answer.status_code != 201:
        return answer.status_code, answer.text, took
    return 201, str(answer.json()["id"]), took


def _rows(stack: PrivateStack, sql: str, **params: Any) -> list[Any]:
    with stack.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


@pytest.mark.timeout(DEADLINE_S + CONTAINERS_GONE_S + 300)
def test_nothing_is_lost_or_counted_twice_while_everything_breaks(
    private_stack: PrivateStack,
) -> None:
    stack = private_stack
    slug = stack.load_challenge({"per_day": 1000, "total": 1000, "concurrent": 1000})
    teams = stack.teams(slug, max(2, min(10, SUBMISSIONS // 5)), "Chaos")
    plan = _plan(teams, SUBMISSIONS)
    faults = FULL_FAULTS if SUBMISSIONS >= 50 else SMALL_FAULTS

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda p: _upload(stack.site.base_url, slug, p[0], p[1]), plan))
    refused = [a for a in answers if a[0] != 201]
    assert refused == [], f"uploads refused before any fault: {refused[:3]}"
    ids = [int(a[1]) for a in answers]
    broken = {i for i, (_, _, b) in zip(ids, plan, strict=True) if b}
    team_of = {i: p[0].team_id for i, p in zip(ids, plan, strict=True)}
    watcher = Watcher(stack, ids, started=began)

    records: list[FaultRecord] = []
    try:
        for k, name in enumerate(faults):
            target = math.ceil((k + 1) * SUBMISSIONS / (len(faults) + 1))
            if not watcher.wait_final(target, DEADLINE_S - watcher.elapsed()):
                pytest.fail(
                    f"judging stalled before fault {name}: {watcher.final_count()} of "
                    f"{SUBMISSIONS} final after {watcher.elapsed():.0f} s; faults so far "
                    f"{[asdict(r) for r in records]}\n"
                    f"{diagnose(stack, [i for i in ids if i not in watcher.final_at])}\n"
                    f"{stack.site.tails(30000)}",
                    pytrace=False,
                )
            records.append(strike(stack, watcher, name))
            assert records[-1].in_flight > 0, f"{name} struck after every submission was final"
        if not watcher.wait_final(SUBMISSIONS, DEADLINE_S - watcher.elapsed()):
            stuck = {i: s for i, s in watcher.status.items() if s not in ("scored", "failed")}
            pytest.fail(
                f"{len(stuck)} submissions not final after {DEADLINE_S:.0f} s: {stuck}\n"
                f"{diagnose(stack, sorted(stuck))}\n{stack.site.tails(30000)}",
                pytrace=False,
            )
        total_s = watcher.elapsed()
        time.sleep(1)  # let the last `resumed` figures be seen
        settle(records, watcher)
    finally:
        watcher.stop()

    # Every accepted upload is in the database, and final: scored, or failed with a message.
    rows = _rows(
        stack,
        "SELECT s.id, s.team_id, s.status, s.failure, s.message, s.attempts FROM submission s "
        "JOIN challenge c ON c.id = s.challenge_id WHERE c.slug = :slug",
        slug=slug,
    )
    assert sorted(r.id for r in rows) == sorted(ids)
    by_id = {r.id: r for r in rows}
    for submission_id in ids:
        row = by_id[submission_id]
        assert row.team_id == team_of[submission_id]
        assert row.status in ("scored", "failed"), (submission_id, row.status)
        if row.status == "failed":
            assert row.failure and row.message.strip(), (submission_id, row.failure, row.message)
        if submission_id in broken:
            assert row.status == "failed", (submission_id, row.status)
        else:  # a valid file fails only if our side gave up on it, and then says so
            assert row.status == "scored" or row.failure == "internal_error", row
    # Failed rows say so to the team through the API too.
    token_of = {t.team_id: t for t in teams}
    with httpx.Client(base_url=stack.site.base_url, timeout=30) as http:
        for submission_id in ids:
            seen = http.get(
                f"/api/v1/submissions/{submission_id}",
                headers=token_of[team_of[submission_id]].bearer(),
            )
            assert seen.status_code == 200, seen.text
            body = seen.json()
            assert body["status"] == by_id[submission_id].status
            assert body["status"] == "scored" or body["message"].strip()
        board = http.get(f"/api/v1/challenges/{slug}/leaderboard")
    assert board.status_code == 200, board.text

    # Scored once: one version of each score, and exactly one final event per submission.
    scores = _rows(
        stack,
        "SELECT submission_id, split, key, count(*) AS n, max(version) AS v, "
        "bool_and(current) AS cur, min(value) AS value FROM score "
        "WHERE submission_id = ANY(:ids) GROUP BY submission_id, split, key",
        ids=ids,
    )
    scored = {i for i in ids if by_id[i].status == "scored"}
    assert {s.submission_id for s in scores} == scored
    assert all(s.n == 1 and s.v == 1 and s.cur for s in scores), [
        s for s in scores if s.n != 1 or s.v != 1
    ]
    per_submission = Counter(s.submission_id for s in scores)
    assert set(per_submission.values()) <= {6}, per_submission  # 3 columns x 2 splits
    finals = _rows(
        stack,
        "SELECT submission_id, count(*) AS n FROM submissionevent "
        "WHERE submission_id = ANY(:ids) AND status IN ('scored', 'failed', 'cancelled') "
        "GROUP BY submission_id",
        ids=ids,
    )
    assert {f.submission_id: f.n for f in finals} == {i: 1 for i in ids}

    # The board: one row per team with a scored submission, holding that team's best score.
    best: dict[int, float] = {}
    for s in scores:
        if s.split == "public" and s.key == "rmse":
            team = team_of[s.submission_id]
            best[team] = min(best.get(team, math.inf), s.value)
    rmse_of = {s.submission_id: s.value for s in scores if (s.split, s.key) == ("public", "rmse")}
    board_rows = board.json()["rows"]
    assert sorted(r["team"]["id"] for r in board_rows) == sorted(best)
    for r in board_rows:
        assert team_of.get(r["submission_id"]) == r["team"]["id"], r
        assert rmse_of[r["submission_id"]] == best[r["team"]["id"]], r
        assert r["scores"]["rmse"] == pytest.approx(best[r["team"]["id"]], abs=0.0005), r
    entries = _rows(
        stack,
        "SELECT team_id, split, count(*) AS n FROM leaderboardentry GROUP BY team_id, split",
    )
    assert all(e.n == 1 for e in entries)
    assert {(e.team_id, e.split) for e in entries} == {
        (t, split) for t in best for split in ("public", "private")
    }

    # No sandbox container outlives the chaos (killed runs' ones are swept by the supervisor).
    gone_by = time.monotonic() + CONTAINERS_GONE_S
    while stack.containers() and time.monotonic() < gone_by:
        time.sleep(1)
    left = stack.containers()
    containers_gone_s = round(time.monotonic() - (gone_by - CONTAINERS_GONE_S), 1)
    assert left == [], [(c["Id"][:12], c["State"], c["Labels"]) for c in left]
    assert stack.site.worker is not None and stack.site.worker.alive()

    attempts = Counter(by_id[i].attempts for i in ids)
    figures = {
        "submissions": SUBMISSIONS,
        "teams": len(teams),
        "total_s": round(total_s, 1),
        "upload_p50_s": round(median(a[2] for a in answers), 3),
        "upload_p99_s": round(_percentile([a[2] for a in answers], 0.99), 3),
        "scored": len(scored),
        "failed_own": len(broken),
        "failed_internal": sum(1 for i in ids if by_id[i].failure == "internal_error"),
        "attempts": dict(sorted(attempts.items())),
        "retries": sum(by_id[i].attempts - 1 for i in ids if by_id[i].attempts > 1),
        "host_restarts": stack.site.keeper.restarts if stack.site.keeper else 0,
        "db_polls_failed": watcher.failed_polls,
        "containers_gone_after_s": containers_gone_s,
        "faults": [{k: v for k, v in asdict(r).items() if k not in ("done_at",)} for r in records],
    }
    print("\nCHAOS FIGURES " + json.dumps(figures))
