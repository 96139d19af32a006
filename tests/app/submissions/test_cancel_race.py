"""A team's cancel against a worker's start: exactly one of them happens, on the real stores.

The cancel is the guarded UPDATE queued -> cancelled (`app.submissions.cancelling`), the
start the guarded UPDATE queued -> running of the job that carries the row
(`Claimable.claim`). Two layers are tested: the two transitions released at the same
instant from two threads, many times, on SQLite and PostgreSQL; and the whole path, a real
`marea worker` and its RQ job in Redis, on SQLite and PostgreSQL too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq.job import Job
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.db import make_engine
from app.core.refusal import Refusal
from app.core.runtime import open_runtime
from app.core.settings import Settings
from app.submissions.cancelling import ACTION, withdraw
from app.submissions.lifecycle import SUBMISSIONS
from app.submissions.models import Score, Status, Submission, SubmissionEvent
from app.submissions.quotas import usage
from app.teams.models import Team
from tests.app.queue.conftest import REDIS_DB, VALID_BUNDLE, Stack, make_bundle
from tests.factories import make_challenge, make_team, make_user
from tests.redis_urls import redis_url

BASELINE = VALID_BUNDLE / "baseline" / "predictions.csv"
ROUNDS = 40


def _statuses(session: Session, submission_id: int) -> list[str]:
    return list(
        session.exec(
            select(SubmissionEvent.status)
            .where(SubmissionEvent.submission_id == submission_id)
            .order_by(col(SubmissionEvent.id))
        )
    )


def _race(engine: Engine, sid: int, job_id: str, user_id: int) -> dict[str, object]:
    """The team's cancel and the job's claim, each in its own transaction, released together."""
    gate = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def cancel() -> None:
        with Session(engine) as session:
            actor = session.get(User, user_id)
            target = session.get(Submission, sid)
            assert actor is not None and target is not None
            gate.wait()
            outcome["cancel"] = withdraw(session, target, actor)
            session.commit()

    def start() -> None:
        with Session(engine) as session:
            gate.wait()
            outcome["start"] = SUBMISSIONS.claim(session, sid, job_id, "racer")
            session.commit()

    threads = [threading.Thread(target=cancel), threading.Thread(target=start)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def test_a_cancel_and_a_worker_start_released_together_never_both_happen(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        challenge, phase = make_challenge(session)
        user = make_user(session)
        team = make_team(session, challenge, user)
        session.commit()
    assert challenge.id is not None and phase.id is not None and team.id is not None
    wins = {"cancel": 0, "start": 0}
    for round_ in range(ROUNDS):
        job_id = f"sub-race-{round_}"
        with Session(engine) as session:
            row = Submission(challenge_id=challenge.id, phase_id=phase.id, team_id=team.id,
                             user_id=user.id, kind="predictions", file_sha256="c" * 64,
                             filename="p.csv", size=1, job_id=job_id)  # type: ignore[arg-type]  # fmt: skip
            session.add(row)
            session.commit()
            assert row.id is not None
            sid = row.id
        outcome = _race(engine, sid, job_id, user.id)  # type: ignore[arg-type]
        cancelled = isinstance(outcome["cancel"], Submission)
        started = outcome["start"] is not None
        assert cancelled != started, f"round {round_}: {outcome}"
        with Session(engine) as session:
            row = session.get(Submission, sid)
            assert row is not None
            audited = session.exec(
                select(AuditEvent).where(AuditEvent.action == ACTION, AuditEvent.target == f"submission {sid}")
            ).all()  # fmt: skip
            if cancelled:
                wins["cancel"] += 1
                assert row.status == Status.cancelled and row.attempts == 0
                assert _statuses(session, sid) == ["cancelled"] and len(audited) == 1
            else:
                wins["start"] += 1
                assert isinstance(outcome["cancel"], Refusal)
                assert outcome["cancel"].code == "not_queued"
                assert row.status == Status.running and row.attempts == 1
                assert _statuses(session, sid) == ["running"] and audited == []
    # Which side wins a round is up to the database; every round has exactly one winner.
    assert wins["cancel"] + wins["start"] == ROUNDS


@pytest.fixture(params=["sqlite", "postgresql"])
def worker_stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """tests/app/queue's worker stack, on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'marea.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
    env = {
        **os.environ,
        "MAREA_DATA_DIR": str(tmp_path / "var"),
        "MAREA_DATABASE_URL": database_url,
        "MAREA_REDIS_URL": redis_url(REDIS_DB),
        "MAREA_HEARTBEAT_TIMEOUT_S": "4",
        "MAREA_SWEEP_INTERVAL_S": "0.5",
        "MAREA_DISPATCH_DEPTH": "4",
    }
    settings = Settings(
        data_dir=tmp_path / "var", database_url=database_url, redis_url=redis_url(REDIS_DB),
        heartbeat_timeout_s=4, sweep_interval_s=0.5,
    )  # fmt: skip
    client = redis.Redis.from_url(redis_url(REDIS_DB))
    client.flushdb()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    stack = Stack(open_runtime(settings), env, client, log_dir=log_dir)
    yield stack
    for proc in stack.workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    client.flushdb()
    stack.runtime.engine.dispose()
    if request.param == "postgresql":
        eng = make_engine(database_url)
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        eng.dispose()


def _captain(stack: Stack, team_id: int) -> User:
    with Session(stack.runtime.engine, expire_on_commit=False) as session:
        team = session.get(Team, team_id)
        assert team is not None
        user = session.get(User, team.captain_id)
        assert user is not None
        return user


def _withdraw(stack: Stack, submission_id: int, actor: User) -> Submission | Refusal:
    with Session(stack.runtime.engine, expire_on_commit=False) as session:
        target = session.get(Submission, submission_id)
        assert target is not None
        outcome = withdraw(session, target, actor)
        session.commit()
        return outcome


def test_a_worker_skips_a_submission_cancelled_after_dispatch(
    worker_stack: Stack, tmp_path: Path
) -> None:
    stack = worker_stack
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    team = stack.team(challenge, "Delfini")
    assert team.id is not None
    actor = _captain(stack, team.id)
    cancelled = stack.submit(challenge, team, BASELINE)
    assert stack.dispatch() == [cancelled]
    job_id = stack.submission(cancelled).job_id
    assert job_id is not None and Job.exists(job_id, connection=stack.redis)  # waiting in Redis
    assert isinstance(_withdraw(stack, cancelled, actor), Submission)
    kept = stack.submit(challenge, team, BASELINE)  # judged normally, after the cancelled one
    stack.dispatch()
    stack.start_worker()
    stack.wait_for(lambda: stack.submission(kept).status == Status.scored, 90, "the next to score")
    job = Job.fetch(job_id, connection=stack.redis)
    stack.wait_for(lambda: job.get_status(refresh=True) == "finished", 30, "the cancelled job")
    assert job.return_value() == "skipped: not queued for this job"
    row = stack.submission(cancelled)
    assert row.status == Status.cancelled and row.attempts == 0 and row.started_at is None
    with Session(stack.runtime.engine) as session:
        assert _statuses(session, cancelled) == ["queued", "cancelled"]
        assert session.exec(select(Score).where(Score.submission_id == cancelled)).all() == []
        phase_id = row.phase_id
        # the cancelled one is not counted; the scored one is
        assert usage(session, phase_id, team.id, row.created_at).today == 1


def test_a_cancel_racing_a_live_worker_either_wins_or_is_refused(
    worker_stack: Stack, tmp_path: Path
) -> None:
    """The worker is up and idle; the cancel is sent the moment the job reaches Redis."""
    stack = worker_stack
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    team = stack.team(challenge, "Delfini")
    assert team.id is not None
    actor = _captain(stack, team.id)
    stack.start_worker()
    outcomes: list[str] = []
    for _ in range(3):
        sid = stack.submit(challenge, team, BASELINE)
        assert stack.dispatch() == [sid]
        result = _withdraw(stack, sid, actor)
        if isinstance(result, Submission):
            outcomes.append("cancelled")
            job_id = stack.submission(sid).job_id
            assert job_id is not None
            job = Job.fetch(job_id, connection=stack.redis)
            stack.wait_for(
                lambda job=job: job.get_status(refresh=True) == "finished", 30, "the job"
            )
            assert stack.submission(sid).status == Status.cancelled
            with Session(stack.runtime.engine) as session:
                assert "running" not in _statuses(session, sid)
        else:
            outcomes.append("started")
            assert result.code == "not_queued"
            stack.wait_for(lambda sid=sid: stack.submission(sid).status == Status.scored, 90,
                           "the started one to score")  # fmt: skip
            with Session(stack.runtime.engine) as session:
                assert "cancelled" not in _statuses(session, sid)
    assert len(outcomes) == 3
