"""Quotas are enforced atomically, and failures do not eat a team's daily slots."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.db import session_scope, utcnow
from app.core.refusal import Kind, Refusal
from app.core.store import StoredObject
from app.models import Phase, Submission, Team
from app.submissions.models import Status
from app.submissions.service import create_submission
from tests.factories import make_challenge, make_team, make_user

FILE = StoredObject("c" * 64, 10)


def _setup(engine: Engine, **limits: int | None) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        user = make_user(session)
        challenge, phase = make_challenge(session)
        for key, value in limits.items():
            setattr(phase, key, value)
        session.add(phase)
        team = make_team(session, challenge, user)
        assert phase.id and team.id and user.id
        return phase.id, team.id, user.id


def _submit(engine: Engine, phase_id: int, team_id: int, user_id: int) -> object:
    with Session(engine, expire_on_commit=False) as session:
        phase = session.get(Phase, phase_id)
        team = session.get(Team, team_id)
        assert phase is not None and team is not None
        result = create_submission(
            session, phase=phase, team=team, user_id=user_id, stored=FILE, filename="p.csv"
        )
        session.commit()
        return result


def test_daily_quota_refuses_with_reset_time(engine: Engine) -> None:
    ids = _setup(engine, max_per_day=2)
    assert isinstance(_submit(engine, *ids), Submission)
    assert isinstance(_submit(engine, *ids), Submission)
    refused = _submit(engine, *ids)
    assert isinstance(refused, Refusal) and refused.kind is Kind.too_many
    assert refused.code == "per_day"
    assert refused.retry_at is not None and refused.retry_at > utcnow()
    assert "resets" in refused.message


def test_failed_submissions_do_not_count_against_the_day(engine: Engine) -> None:
    ids = _setup(engine, max_per_day=1)
    first = _submit(engine, *ids)
    assert isinstance(first, Submission)
    with session_scope(engine) as session:
        row = session.get(Submission, first.id)
        assert row is not None
        row.status = Status.failed
        session.add(row)
    assert isinstance(_submit(engine, *ids), Submission)


def test_concurrent_limit_counts_waiting_and_running(engine: Engine) -> None:
    ids = _setup(engine, max_concurrent=1)
    assert isinstance(_submit(engine, *ids), Submission)
    refused = _submit(engine, *ids)
    assert isinstance(refused, Refusal) and refused.code == "concurrent"


def test_closed_phase_refuses(engine: Engine) -> None:
    phase_id, team_id, user_id = _setup(engine)
    with session_scope(engine) as session:
        phase = session.get(Phase, phase_id)
        assert phase is not None
        phase.end = utcnow() - timedelta(minutes=1)
        session.add(phase)
    refused = _submit(engine, phase_id, team_id, user_id)
    assert isinstance(refused, Refusal) and refused.code == "phase_closed"


def test_parallel_uploads_cannot_both_take_the_last_slot(engine: Engine) -> None:
    ids = _setup(engine, max_total=3)
    results: list[object] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(_submit(engine, *ids))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    accepted = [r for r in results if isinstance(r, Submission)]
    refused = [r for r in results if isinstance(r, Refusal) and r.kind is Kind.too_many]
    assert len(accepted) == 3 and len(refused) == 5
    with Session(engine) as session:
        assert len(session.exec(select(Submission)).all()) == 3
