"""People's choice, the organisers' side: every vote with its flags, and voiding a vote.

A void needs a reason, asks for confirmation, goes to the audit log with the reason, stops
the vote counting, and its voter is told that it was voided (not by whom).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.core.db import session_scope, utcnow
from app.projects.vote_models import Vote
from tests.app.projects.vote_helpers import (
    ORGANISE,
    VOTE,
    flat,
    post,
    set_window,
    team_for,
    vote,
    vote_world,
)
from tests.app.projects_only.project_helpers import SLUG
from tests.app.web.conftest import client, redis_15, web_settings
from tests.app.web.web_helpers import engine_of, person

__all__ = ["client", "redis_15", "web_settings"]


def _vote_ids(client: TestClient) -> dict[tuple[int, int], int]:
    with Session(engine_of(client)) as session:
        return {(v.voter_id, v.team_id): v.id or 0 for v in session.exec(select(Vote))}


def test_flags_are_shown(client: TestClient) -> None:
    w = vote_world(client, voters=3)
    old = w.voters[0]
    with session_scope(engine_of(client)) as session:  # an account from before the vote
        user = session.get(User, old.user_id)
        assert user is not None
        user.created_at = utcnow() - timedelta(days=30)
        session.add(user)
    for voter in w.voters:  # all from one address (the test client's), for one project
        assert vote(voter, w.teams["Delfini"]).status_code == 303
    with session_scope(engine_of(client)) as session:  # an address unverified since voting
        user = session.get(User, w.voters[2].user_id)
        assert user is not None
        user.email_verified = False
        session.add(user)
    ids = _vote_ids(client)
    page = w.boss.client.get(ORGANISE + "?lang=en").text

    def item(voter_id: int) -> str:
        vote_id = ids[(voter_id, w.teams["Delfini"])]
        return flat(
            page.split(f'id="vote-{vote_id}"')[1].split("</li>\n  <li")[0].split("</ol>")[0]
        )

    first, second, third = (item(v.user_id) for v in w.voters)
    assert "3 accounts voted for this project from one address" in first
    assert "account created" in first and "after voting opened" not in first
    assert "after voting opened" in second and "after voting opened" in third
    assert "the voter's e-mail address is not verified" in third
    assert "not verified" not in second
    italian = flat(w.boss.client.get(ORGANISE + "?lang=it").text)
    assert "3 account hanno votato questo progetto dallo stesso indirizzo" in italian
    # the address itself is never stored: only its salted, truncated hash
    with Session(engine_of(client)) as session:
        addresses = {v.address for v in session.exec(select(Vote))}
    assert len(addresses) == 1 and None not in addresses
    (address,) = addresses
    assert address is not None and len(address) == 16 and "testclient" not in address


def test_a_voided_vote_stops_counting_and_is_audited(client: TestClient) -> None:
    w = vote_world(client, voters=2)
    cheat, fair = w.voters
    assert vote(cheat, w.teams["Delfini"]).status_code == 303
    assert vote(fair, w.teams["Delfini"]).status_code == 303
    assert "Delfini · 2 votes" in flat(w.boss.client.get(ORGANISE + "?lang=en").text)
    vote_id = _vote_ids(client)[(cheat.user_id, w.teams["Delfini"])]
    path = f"{ORGANISE}/{vote_id}/void"
    page = w.boss.client.get(ORGANISE + "?lang=en").text
    assert "Void this vote…" in page and "This cannot be undone" in page
    # a reason is required
    bare = post(w.boss, path + "?lang=en", reason="  ")
    assert bare.status_code == 422 and "Say why the vote is voided" in flat(bare.text)
    with Session(engine_of(client)) as session:
        assert session.get(Vote, vote_id) is not None
        assert session.get(Vote, vote_id).voided_at is None  # type: ignore[union-attr]
    # a participant may not void
    assert post(fair, path, reason="I do not like it").status_code == 403
    done = post(w.boss, path, reason="one of twenty accounts made at 03:00 from one address")
    assert done.status_code == 303 and done.headers["location"] == ORGANISE
    shown = flat(w.boss.client.get(ORGANISE + "?lang=en").text)
    assert f"Vote {vote_id} voided: it no longer counts" in shown
    assert "Delfini · 1 vote" in shown and "Delfini · 2 votes" not in shown
    assert "Reason: one of twenty accounts made at 03:00 from one address" in shown
    with Session(engine_of(client)) as session:
        events = list(session.exec(select(AuditEvent).where(AuditEvent.action == "vote.void")))
    assert len(events) == 1 and events[0].actor_id == w.boss.user_id
    assert events[0].detail["reason"] == "one of twenty accounts made at 03:00 from one address"
    audit = flat(w.boss.client.get(f"/organise/{SLUG}/audit?lang=en").text)
    assert f"Boss voided vote {vote_id} for team Delfini." in audit
    assert "one of twenty accounts made at 03:00 from one address" in audit
    # the voter sees that it was voided, not by whom, and cannot cast it again
    mine = flat(cheat.client.get(VOTE + "?lang=en").text)
    assert "Your vote for Delfini was voided by the organisers and does not count." in mine
    assert "Boss" not in mine and "one of twenty" not in mine
    assert vote(cheat, w.teams["Delfini"]).status_code == 409
    again = post(w.boss, path + "?lang=en", reason="twice over, by mistake")
    assert again.status_code == 409 and "already voided" in again.text
    # it counts for nothing after the reveal either
    set_window(client, opened=timedelta(days=2), closes=timedelta(minutes=-1))
    assert post(w.boss, ORGANISE + "/reveal").status_code == 303
    public = flat(client.get(VOTE + "?lang=en").text)
    assert "1. Delfini · 1 vote" in public


def test_the_organisers_page_is_theirs(client: TestClient) -> None:
    w = vote_world(client, voters=1)
    assert w.boss.client.get(ORGANISE).status_code == 200
    assert w.voters[0].client.get(ORGANISE).status_code == 403
    anonymous = client.get(ORGANISE, follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    # an organiser of the site who is in one of the challenge's teams competes there: the
    # counts before the reveal are not for them
    rival = person(client, "rival@example.org", "Rival", Role.organiser)
    team_for(client, rival, "Squali")
    closed = rival.client.get(ORGANISE + "?lang=en")
    assert closed.status_code == 403 and "in a team of this challenge" in closed.text
    assert "Delfini ·" not in closed.text
