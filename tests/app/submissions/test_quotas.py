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


def test_the_day_ends_at_local_midnight_of_the_challenge_zone() -> None:
    from datetime import UTC, datetime

    from app.submissions.quotas import day_bounds

    # 23:30 UTC on 15 January is 00:30 on the 16th in Rome: a new day.
    start, end = day_bounds(datetime(2027, 1, 15, 23, 30, tzinfo=UTC), "Europe/Rome")
    assert start == datetime(2027, 1, 15, 23, 0, tzinfo=UTC)
    assert end == datetime(2027, 1, 16, 23, 0, tzinfo=UTC)
    # In summer Rome is two hours ahead; the day the clocks go forward lasts 23 hours.
    start, end = day_bounds(datetime(2027, 3, 28, 12, 0, tzinfo=UTC), None)
    assert (start, end) == (
        datetime(2027, 3, 27, 23, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 22, 0, tzinfo=UTC),
    )
    assert day_bounds(datetime(2027, 1, 15, 23, 30, tzinfo=UTC), "UTC")[0] == datetime(
        2027, 1, 15, tzinfo=UTC
    )


def test_daily_quota_resets_at_local_midnight(engine: Engine) -> None:
    from datetime import UTC, datetime

    from app.i18n import use_language
    from app.models import Challenge
    from app.submissions.quotas import challenge_time_zone, check, usage

    phase_id, team_id, user_id = _setup(engine, max_per_day=1)
    late_evening = datetime(2027, 1, 15, 22, 50, tzinfo=UTC)  # 23:50 in Rome, the 15th
    with session_scope(engine) as session:
        phase = session.get(Phase, phase_id)
        assert phase is not None
        challenge_id = phase.challenge_id
        session.add(
            Submission(
                challenge_id=challenge_id,
                phase_id=phase_id,
                team_id=team_id,
                user_id=user_id,
                kind=phase.kind,
                file_sha256="c" * 64,
                filename="p.csv",
                size=10,
                status=Status.scored,
                created_at=late_evening,
            )
        )
    with Session(engine) as session:
        phase = session.get(Phase, phase_id)
        assert phase is not None
        zone_name = challenge_time_zone(session, challenge_id)
        assert zone_name is None  # the factory's bundle names none: Rome
        before = usage(session, phase_id, team_id, datetime(2027, 1, 15, 22, 55, tzinfo=UTC))
        after = usage(session, phase_id, team_id, datetime(2027, 1, 15, 23, 30, tzinfo=UTC))
        assert before.today == 1 and after.today == 0
        assert before.resets_at == datetime(2027, 1, 15, 23, 0, tzinfo=UTC)
        refused = check(phase, before)
        assert refused is not None and refused.code == "per_day"
        assert "midnight, Rome time (23:00 UTC)" in refused.message
        with use_language("it"):
            italian = check(phase, before)
        assert italian is not None and "mezzanotte, ora di Roma" in italian.message
        assert check(phase, after) is None
    with session_scope(engine) as session:
        challenge = session.get(Challenge, challenge_id)
        assert challenge is not None
        challenge.config = {**challenge.config, "time_zone": "UTC"}
        session.add(challenge)
    with Session(engine) as session:
        assert challenge_time_zone(session, challenge_id) == "UTC"
        utc_day = usage(
            session, phase_id, team_id, datetime(2027, 1, 15, 23, 30, tzinfo=UTC), "UTC"
        )
        assert utc_day.today == 1  # in London's winter the 15th lasts until 00:00 UTC
