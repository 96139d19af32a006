"""Freezing shows participants the board as it was; staff keep the live one; reveal at the end."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.jury.models import JudgeAssignment
from app.leaderboard.boards import board_audience, final_board, final_count, frozen_board
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer, read_board
from app.submissions.models import Score, Status, Submission
from app.teams.models import Team
from tests.app.web.web_helpers import BOARD, Person, challenge, engine_of, person, team_for

SPEC = BoardSpec.from_config(BOARD)


def scored(
    site: TestClient,
    phase_id: int,
    team_id: int,
    user_id: int,
    rmse: float,
    at: datetime,
    private: float | None = None,
) -> int:
    """A scored submission, its public scores, and the live board updated as a worker would."""
    with Session(engine_of(site)) as session:
        team = session.get(Team, team_id)
        assert team is not None
        sub = Submission(
            challenge_id=team.challenge_id,
            phase_id=phase_id,
            team_id=team_id,
            user_id=user_id,
            kind="predictions",
            file_sha256="a" * 64,
            filename="p.csv",
            size=1,
            status=Status.scored,
            created_at=at,
        )
        session.add(sub)
        session.flush()
        assert sub.id is not None
        values = {"rmse": rmse, "mae": rmse / 2}
        for key, value in values.items():
            session.add(Score(submission_id=sub.id, split="public", key=key, value=value))
        if private is not None:
            session.add(Score(submission_id=sub.id, split="private", key="rmse", value=private))
        offer(
            session,
            SPEC,
            phase_id=phase_id,
            team_id=team_id,
            split="public",
            submission_id=sub.id,
            submitted_at=at,
            values=values,
        )
        session.commit()
        return sub.id


def _post(who: Person, path: str, **data: str) -> int:
    token = who.csrf("/organise/sea-temp")
    response = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    status: int = response.status_code
    return status


def test_frozen_board_hides_later_scores_and_staff_see_live(site: TestClient) -> None:
    cid, pid = challenge(site)
    org = person(site, "org@example.org", "Org", Role.organiser)
    judge = person(site, "judge@example.org", "Judge", Role.judge)
    other_judge = person(site, "judge2@example.org", "Other judge", Role.judge)  # not assigned
    with Session(engine_of(site)) as session:
        session.add(JudgeAssignment(challenge_id=cid, user_id=judge.user_id))
        session.commit()
    alice = person(site, "alice@example.org", "Alice")
    bob = person(site, "bob@example.org", "Bob")
    team_a = team_for(site, cid, alice, "Aragoste")
    team_b = team_for(site, cid, bob, "Balene")
    now = utcnow()
    early_a = scored(site, pid, team_a, alice.user_id, 0.5, now - timedelta(hours=3))
    early_b = scored(site, pid, team_b, bob.user_id, 0.4, now - timedelta(hours=2))

    freeze_at = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
    typed = freeze_at.astimezone(ZoneInfo("Europe/Rome")).strftime("%Y-%m-%dT%H:%M")
    assert _post(org, "/organise/sea-temp/freeze", at=typed) == 303  # the challenge's wall time
    late_a = scored(site, pid, team_a, alice.user_id, 0.1, now - timedelta(minutes=30))

    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None and ch.frozen_at == freeze_at
        frozen = frozen_board(session, SPEC, pid, "public", ch.frozen_at)
        live = read_board(session, SPEC, pid, "public")
        users = {u.id: u for u in session.exec(select(User))}
        audiences = {
            name: board_audience(session, ch, users[p.user_id])
            for name, p in {
                "alice": alice,
                "judge": judge,
                "other judge": other_judge,
                "org": org,
            }.items()
        }
        assert board_audience(session, ch, None) == "frozen"
        without_b = frozen_board(session, SPEC, pid, "public", ch.frozen_at, exclude={team_b})

    assert [(r.rank, r.team_id, r.submission_id, r.values["rmse"]) for r in frozen] == [
        (1, team_b, early_b, 0.4),
        (2, team_a, early_a, 0.5),
    ], "participants see the board as it stood at the freeze"
    assert all(r.submission_id != late_a for r in frozen)
    assert [(r.team_id, r.submission_id) for r in live] == [(team_a, late_a), (team_b, early_b)]
    assert audiences == {"alice": "frozen", "judge": "live", "other judge": "frozen", "org": "live"}
    assert [r.team_id for r in without_b] == [team_a], "disqualified teams can be left out"

    assert _post(org, "/organise/sea-temp/unfreeze") == 303
    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None and ch.frozen_at is None
        assert board_audience(session, ch, None) == "live"


def test_reveal_opens_the_private_board_and_is_audited(site: TestClient) -> None:
    now = utcnow()
    challenge(site, start=now - timedelta(days=3), end=now - timedelta(hours=1))
    org = person(site, "org@example.org", "Org", Role.organiser)
    url = "/api/v1/challenges/sea-temp/leaderboard?split=private"
    assert site.get(url).status_code == 403
    confirm = org.client.get("/organise/sea-temp/reveal?lang=en")
    assert confirm.status_code == 200 and "Reveal the private board now" in confirm.text
    assert "Not every phase is over." not in confirm.text  # the only phase has ended
    assert _post(org, "/organise/sea-temp/reveal") == 409  # the button, not a bare POST
    assert site.get(url).status_code == 403
    assert _post(org, "/organise/sea-temp/reveal", confirm="yes") == 303
    response = site.get(url)
    assert response.status_code == 200 and response.json()["split"] == "private"
    assert _post(org, "/organise/sea-temp/hide-private") == 303
    with Session(engine_of(site)) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]  # type: ignore[arg-type]
    assert actions == ["board.reveal", "board.hide"]


def test_final_selection_and_the_fallback_to_the_best_public_ones(site: TestClient) -> None:
    cid, pid = challenge(site)
    alice = person(site, "alice@example.org", "Alice")
    bob = person(site, "bob@example.org", "Bob")
    team_a = team_for(site, cid, alice, "Aragoste")
    team_b = team_for(site, cid, bob, "Balene")
    t0 = utcnow() - timedelta(hours=10)
    # Team A selects its worst public submission, whose private score is 0.6; its unselected
    # submission has the better private 0.2, which must not count.
    a_sel = scored(site, pid, team_a, alice.user_id, 0.9, t0, private=0.6)
    scored(site, pid, team_a, alice.user_id, 0.3, t0 + timedelta(hours=1), private=0.2)
    # Team B selects nothing: its 2 best public ones (0.4 and 0.5) are used, so the 0.1 private
    # score of its worst public submission (0.8) is ignored; 0.45 is its best among the two.
    b_best = scored(site, pid, team_b, bob.user_id, 0.4, t0 + timedelta(hours=2), private=0.7)
    b_second = scored(site, pid, team_b, bob.user_id, 0.5, t0 + timedelta(hours=3), private=0.45)
    scored(site, pid, team_b, bob.user_id, 0.8, t0 + timedelta(hours=4), private=0.1)
    with Session(engine_of(site)) as session:
        sub = session.get(Submission, a_sel)
        assert sub is not None
        sub.selected_final = True
        session.add(sub)
        session.commit()
        ch = session.get(Challenge, cid)
        assert ch is not None
        n = final_count(ch)
        board = final_board(session, SPEC, pid, n)
    assert n == 2
    assert [(r.rank, r.team_id, r.submission_id, r.values["rmse"]) for r in board] == [
        (1, team_b, b_second, 0.45),
        (2, team_a, a_sel, 0.6),
    ]
    assert b_best not in {r.submission_id for r in board}
