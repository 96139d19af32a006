"""Fair dispatch: which queued submissions go to the workers next.

The database keeps every waiting submission; only a few at a time are handed
to Redis. Each phase runs in a compute pool, and each pool is its own RQ queue
(`pool_queue`), kept `depth` jobs deep. Inside a pool each pick takes, first,
the challenge with the fewest submissions in flight there, so one heavy
challenge cannot starve the others sharing its workers (Codabench #3358,
#2450); then, inside that challenge, the oldest submission of the team with
the fewest in flight, and no team gets more than `team_concurrency` at once,
so one team's burst cannot delay the others (Codabench #1141, DOMjudge's
fair queueing).
"""

from __future__ import annotations

import heapq
import logging
import uuid
from collections import defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

import redis
from rq import Queue
from sqlalchemy import ColumnElement, func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.challenges.models import Challenge, Phase
from app.core.settings import DEFAULT_POOL
from app.queue.connection import JOB_FUNCTION, pool_queue
from app.queue.judge_request import judging_bound_s
from app.submissions.lifecycle import SUBMISSIONS
from app.submissions.models import Status, Submission

log = logging.getLogger(__name__)

JOB_TIMEOUT_FALLBACK_S = 3600
# Waiting submissions read per challenge and pool at each dispatch: far more than one
# dispatch hands out (`depth`), and a bound on what a burst of thousands costs to read.
WAITING_PER_CHALLENGE = 1000


class Waiting(NamedTuple):
    submission_id: int
    team_id: int
    created_at: datetime
    challenge_id: int = 0
    pool: str = DEFAULT_POOL


class InFlight(NamedTuple):
    by_team: dict[int, int]
    by_challenge: dict[tuple[str, int], int]  # (pool, challenge id)


def _is_in_flight() -> ColumnElement[bool]:
    return (col(Submission.status) == Status.running) | (
        (col(Submission.status) == Status.queued) & col(Submission.job_id).is_not(None)
    )


def in_flight(session: Session) -> InFlight:
    """Submissions handed to workers or running, per team and per challenge in each pool."""
    rows = session.exec(
        select(Submission.team_id, Submission.challenge_id, Phase.pool, func.count())
        .join(Phase, col(Phase.id) == col(Submission.phase_id))
        .where(_is_in_flight())
        .group_by(col(Submission.team_id), col(Submission.challenge_id), col(Phase.pool))
    ).all()
    by_team: dict[int, int] = defaultdict(int)
    by_challenge: dict[tuple[str, int], int] = defaultdict(int)
    for team_id, challenge_id, pool, count in rows:
        by_team[team_id] += count
        by_challenge[(pool, challenge_id)] += count
    return InFlight(dict(by_team), dict(by_challenge))


def in_flight_by_team(session: Session) -> dict[int, int]:
    return in_flight(session).by_team


def waiting(
    session: Session,
    team_cap: int = 10**9,
    per_challenge: int = WAITING_PER_CHALLENGE,
    pools: Collection[str] | None = None,
) -> list[Waiting]:
    """The submissions a dispatch may pick, oldest first: a team's first `team_cap` (it never
    gets more at once) and a challenge's first `per_challenge` of those, so a burst of one
    team or one challenge never hides another's submission from the choice. `pools` narrows
    it to the pools whose queues have room (None: every pool)."""
    in_pools = [] if pools is None else [col(Phase.pool).in_(pools)]
    waiting_now = (
        core_select(
            col(Submission.id).label("sid"),
            col(Submission.team_id).label("team"),
            col(Submission.created_at).label("created"),
            col(Submission.challenge_id).label("challenge"),
            col(Phase.pool).label("pool"),
            func.row_number()
            .over(
                partition_by=(col(Submission.team_id), col(Phase.pool)),
                order_by=(col(Submission.created_at), col(Submission.id)),
            )
            .label("in_team"),
        )
        .join(Phase, col(Phase.id) == col(Submission.phase_id))
        .where(col(Submission.status) == Status.queued, col(Submission.job_id).is_(None), *in_pools)
        .subquery()
    )
    heads = (
        core_select(
            waiting_now,
            func.row_number()
            .over(
                partition_by=(waiting_now.c.pool, waiting_now.c.challenge),
                order_by=(waiting_now.c.created, waiting_now.c.sid),
            )
            .label("in_challenge"),
        )
        .where(waiting_now.c.in_team <= team_cap)
        .subquery()
    )
    rows = session.execute(
        core_select(heads.c.sid, heads.c.team, heads.c.created, heads.c.challenge, heads.c.pool)
        .where(heads.c.in_challenge <= per_challenge)
        .order_by(heads.c.created, heads.c.sid)
    ).all()
    return [Waiting(*row) for row in rows]


def choose(
    pending: Sequence[Waiting],
    busy: Mapping[int, int],
    budget: int,
    team_cap: int,
    busy_challenges: Mapping[int, int] | None = None,
) -> list[int]:
    """Pure fairness rule (one pool's submissions), kept apart so it is tested without a queue.

    `busy` counts each team's submissions in flight, `busy_challenges` each challenge's in
    this pool. The challenge with the fewest in flight goes first (the older waiting one on a
    tie), then inside it the team with the fewest, oldest submission first.
    """
    challenge_load = busy_challenges or {}
    per_team: dict[int, deque[tuple[datetime, int]]] = defaultdict(deque)
    team_of: dict[int, int] = {}
    for item in pending:
        per_team[item.team_id].append((item.created_at, item.submission_id))
        team_of.setdefault(item.team_id, item.challenge_id)
    teams: dict[int, list[tuple[int, datetime, int]]] = defaultdict(list)
    for team, items in per_team.items():
        teams[team_of[team]].append((busy.get(team, 0), items[0][0], team))
    challenges: list[tuple[int, datetime, int]] = []
    for challenge, heap in teams.items():
        heapq.heapify(heap)
        challenges.append((challenge_load.get(challenge, 0), heap[0][1], challenge))
    heapq.heapify(challenges)
    picked: list[int] = []
    while challenges and len(picked) < budget:
        load, _, challenge = heapq.heappop(challenges)
        heap = teams[challenge]
        if not heap or heap[0][0] >= team_cap:
            continue  # every team of this challenge is at its cap: it waits for the next round
        team_load, _, team = heapq.heappop(heap)
        items = per_team[team]
        picked.append(items.popleft()[1])
        if items:
            heapq.heappush(heap, (team_load + 1, items[0][0], team))
        if heap:
            heapq.heappush(challenges, (load + 1, heap[0][1], challenge))
    return picked


def _job_timeouts(session: Session, submission_ids: list[int]) -> dict[int, int]:
    rows = session.exec(
        select(Submission.id, Phase.kind, Phase.code, Challenge.config)
        .join(Phase, col(Phase.id) == col(Submission.phase_id))
        .join(Challenge, col(Challenge.id) == col(Submission.challenge_id))
        .where(col(Submission.id).in_(submission_ids))
    ).all()
    return {
        submission_id: judging_bound_s(kind, code, config.get("scoring") or {})
        for submission_id, kind, code, config in rows
        if submission_id is not None
    }


def dispatch(engine: Engine, queue: Queue, *, depth: int, team_cap: int) -> list[int]:
    """Hand the next fair picks to Redis until `depth` jobs wait in each pool's queue.

    `queue` is the default pool's queue; every other pool's is named after it (`pool_queue`).
    Returns the submissions sent, all pools together.
    """
    with Session(engine) as session:
        # The phases' pools: a small table, read first so that full queues cost no scan of
        # the waiting submissions (the common case: called after every job and every sweep).
        pools = sorted(set(session.exec(select(Phase.pool).distinct()).all()))
    budgets: dict[str, tuple[int, Queue]] = {}
    for pool in pools:
        pool_q = pool_queue(queue, pool)
        try:
            budget = depth - pool_q.count
        except redis.RedisError as exc:
            log.warning("queue unreachable, nothing dispatched: %s", exc)
            return []
        if budget > 0:
            budgets[pool] = (budget, pool_q)
    if not budgets:
        return []
    with Session(engine) as session:
        pending = waiting(session, team_cap, pools=list(budgets))
        busy = in_flight(session) if pending else InFlight({}, {})
    by_pool: dict[str, list[Waiting]] = defaultdict(list)
    for item in pending:
        by_pool[item.pool].append(item)
    picks: list[tuple[int, Queue]] = []
    for pool, items in by_pool.items():
        budget, pool_q = budgets[pool]
        loads = {c: n for (p, c), n in busy.by_challenge.items() if p == pool}
        chosen = choose(items, busy.by_team, budget, team_cap, loads)
        picks.extend((submission_id, pool_q) for submission_id in chosen)
    if not picks:
        return []
    with Session(engine) as session:
        timeouts = _job_timeouts(session, [submission_id for submission_id, _ in picks])
    sent: list[int] = []
    for submission_id, pool_q in picks:
        job_id = f"sub-{submission_id}-{uuid.uuid4().hex[:10]}"
        with Session(engine) as session:
            won = SUBMISSIONS.mark_dispatched(session, submission_id, job_id)
            session.commit()
        if not won:
            continue
        try:
            pool_q.enqueue(
                JOB_FUNCTION,
                submission_id,
                job_id=job_id,
                job_timeout=timeouts.get(submission_id, JOB_TIMEOUT_FALLBACK_S),
                result_ttl=3600,
                failure_ttl=86400,
            )
        except redis.RedisError as exc:
            # The sweeper will notice the job is missing from Redis and dispatch again.
            log.warning("could not enqueue submission %s: %s", submission_id, exc)
            break
        sent.append(submission_id)
    return sent
