"""The data layer on SQLite and PostgreSQL: migrations, constraints, types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, select

from app.core.db import migrate, session_scope
from app.models import Challenge, Membership, Phase, Score, Submission, SubmissionEvent
from tests.factories import make_challenge, make_team, make_user

EXPECTED_TABLES = {
    "user", "oidcidentity", "apitoken", "challenge", "phase", "datafile", "team", "membership",
    "submission", "submissionevent", "score", "leaderboardentry", "judgeassignment", "review",
    "auditevent", "rescoreset", "rescoreitem", "logexcerpt", "usersession", "event", "registration",
    "rolegrant", "outbox", "notificationchoice", "noticesent", "question", "announcement",
    "project", "projectversion", "projectgallery",
    "reviewassignment", "conflictdeclaration", "judgeprofile",
    "vote", "votereveal",
    "alembic_version",
}  # fmt: skip


def test_migrations_create_every_table_and_are_idempotent(engine: Engine) -> None:
    migrate(engine)  # a second run must change nothing and not fail
    assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    assert len(versions) == 1


def test_email_is_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        make_user(session, "ada@example.org")
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        make_user(session, "ada@example.org", "Another Ada")


def test_a_user_is_in_at_most_one_team_per_challenge(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = make_user(session)
        bob = make_user(session, "bob@example.org", "Bob")
        challenge, _ = make_challenge(session)
        make_team(session, challenge, ada, "Delfini")
        other = make_team(session, challenge, bob, "Balene")
        ids = (other.id, ada.id, challenge.id)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        assert all(i is not None for i in ids)
        session.add(Membership(team_id=ids[0], user_id=ids[1], challenge_id=ids[2]))  # type: ignore[arg-type]


def test_same_user_may_join_teams_of_different_challenges(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = make_user(session)
        first, _ = make_challenge(session, "first")
        second, _ = make_challenge(session, "second")
        make_team(session, first, ada, "Delfini")
        make_team(session, second, ada, "Delfini")
    with Session(engine) as session:
        assert len(session.exec(select(Membership)).all()) == 2


def test_datetimes_come_back_aware_in_utc(engine: Engine) -> None:
    rome = datetime(2026, 7, 1, 12, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Rome")
    )
    with session_scope(engine) as session:
        _, phase = make_challenge(session)
        phase.start = rome
        session.add(phase)
        phase_id = phase.id
    with Session(engine) as session:
        stored = session.get(Phase, phase_id)
        assert stored is not None
        assert stored.start.tzinfo is not None
        assert stored.start == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as session:
        _, phase = make_challenge(session)
        phase.end = datetime(2026, 1, 1)
        session.add(phase)
        session.flush()


def test_json_columns_round_trip(engine: Engine) -> None:
    config = {"leaderboard": {"columns": [{"key": "rmse", "precision": 4}]}, "tags": ["è", "ü"]}
    with session_scope(engine) as session:
        challenge, _ = make_challenge(session)
        challenge.config = config
        session.add(challenge)
        cid = challenge.id
    with Session(engine) as session:
        stored = session.get(Challenge, cid)
        assert stored is not None and stored.config == config


def test_scores_keep_history_by_version(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = make_user(session)
        challenge, phase = make_challenge(session)
        team = make_team(session, challenge, ada)
        assert challenge.id and phase.id and team.id and ada.id
        sub = Submission(
            challenge_id=challenge.id, phase_id=phase.id, team_id=team.id, user_id=ada.id,
            kind="predictions", file_sha256="a" * 64, filename="p.csv", size=10,
        )  # fmt: skip
        session.add(sub)
        session.flush()
        assert sub.id is not None
        session.add(SubmissionEvent(submission_id=sub.id, status="queued"))
        session.add(Score(submission_id=sub.id, version=1, split="public", key="rmse", value=1.5))
        session.add(Score(submission_id=sub.id, version=2, split="public", key="rmse", value=1.25))
        sub_id = sub.id
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Score(submission_id=sub_id, version=2, split="public", key="rmse", value=9.0))
    with Session(engine) as session:
        values = session.exec(
            select(Score.value).where(Score.submission_id == sub_id).order_by(Score.version)  # type: ignore[arg-type]
        ).all()
        assert values == [1.5, 1.25]
        assert session.exec(select(SubmissionEvent)).one().status == "queued"


def test_deleting_a_challenge_with_phases_is_refused(engine: Engine) -> None:
    """Foreign keys are enforced on both backends (SQLite needs a pragma for it)."""
    with session_scope(engine) as session:
        challenge, _ = make_challenge(session)
        cid = challenge.id
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        row = session.get(Challenge, cid)
        session.delete(row)
        session.flush()


def test_models_and_migrations_agree(engine: Engine) -> None:
    """A model change without a migration fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
