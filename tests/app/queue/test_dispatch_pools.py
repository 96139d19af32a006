"""The dispatch queries on both databases: what waits and what is in flight, per pool and
challenge, and a burst that cannot hide another challenge's submission from the choice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import utcnow
from app.models import Submission
from app.queue.dispatch import choose, in_flight, waiting
from app.submissions.models import Status
from tests.factories import make_challenge, make_team, make_user


def test_waiting_reads_each_team_up_to_its_cap_and_every_challenge(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        heavy, heavy_phase = make_challenge(session, "heavy")
        light, light_phase = make_challenge(session, "light")
        light_phase.pool = "gpu"
        session.add(light_phase)
        user = make_user(session)
        burst_team = make_team(session, heavy, user, "Burst")
        other = make_team(session, heavy, make_user(session, "b@example.org", "B"), "Other")
        late = make_team(session, light, make_user(session, "c@example.org", "C"), "Late")
        t0 = utcnow() - timedelta(hours=1)

        def add(team_id: int, challenge_id: int, phase_id: int, at: int, **kw: object) -> int:
            row = Submission(
                challenge_id=challenge_id, phase_id=phase_id, team_id=team_id, user_id=user.id,
                kind="predictions", file_sha256="0" * 64, filename="p.csv", size=1,
                created_at=t0 + timedelta(seconds=at), **kw,
            )  # fmt: skip
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

        assert heavy.id and light.id and heavy_phase.id and light_phase.id
        assert burst_team.id and other.id and late.id
        burst = [add(burst_team.id, heavy.id, heavy_phase.id, i) for i in range(30)]
        second = add(other.id, heavy.id, heavy_phase.id, 100)
        add(other.id, heavy.id, heavy_phase.id, 101, status=Status.running)
        add(other.id, heavy.id, heavy_phase.id, 102, job_id="sub-x")  # dispatched
        single = add(late.id, light.id, light_phase.id, 200)
        session.commit()

        pending = waiting(session, team_cap=2, per_challenge=2)
        busy = in_flight(session)
        uncapped = [w.submission_id for w in waiting(session, team_cap=2)]
        only_gpu = [w.submission_id for w in waiting(session, team_cap=2, pools=["gpu"])]
    # The burst team's first two, the other team's one (its cap and the challenge's 2 reached
    # first by the burst's two), and the light challenge's one in the pool gpu.
    assert [(w.submission_id, w.pool) for w in pending] == [
        (burst[0], "default"),
        (burst[1], "default"),
        (single, "gpu"),
    ]
    assert busy.by_team == {other.id: 2}
    assert busy.by_challenge == {("default", heavy.id): 2}
    defaults = [w for w in pending if w.pool == "default"]
    assert choose(defaults, busy.by_team, 4, 2, {heavy.id: 2}) == [burst[0], burst[1]]
    assert second not in [w.submission_id for w in pending]
    assert uncapped == [
        burst[0], burst[1], second, single,
    ]  # fmt: skip
    assert only_gpu == [single]  # a full default queue: only the pools with room are read
