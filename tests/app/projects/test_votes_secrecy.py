"""People's choice: the counts stay hidden until the organisers reveal them, then show as a
ranking with ties as ties.

Before the reveal nothing a participant or the public is sent may depend on the counts: the
vote page is compared byte for byte (body and headers, the date aside) before and after other
people vote, for an anonymous reader and for a participant; only the voter's own page moves,
with their own votes.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from tests.app.projects.vote_helpers import (
    ORGANISE,
    VOTE,
    flat,
    post,
    set_window,
    vote,
    vote_world,
    withdraw,
)
from tests.app.projects_only.project_helpers import SLUG
from tests.app.web.conftest import client, redis_15, web_settings
from tests.app.web.web_helpers import engine_of

__all__ = ["client", "redis_15", "web_settings"]


def _seen(response: Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Everything a reader gets, but the clock: status, body and headers (a session cookie's
    signature carries a time, so only its size is kept)."""
    headers = []
    for key, value in response.headers.multi_items():
        if key.lower() == "date":
            continue
        if key.lower() == "set-cookie":
            value = re.sub(r"=([^;]*)", lambda m: "=" + "x" * len(m.group(1)), value, count=1)
        headers.append((key.lower(), value))
    return response.status_code, response.content, headers


def test_counts_are_hidden_before_the_reveal(client: TestClient) -> None:
    w = vote_world(client, voters=4)
    watcher, participant = w.voters[0], w.captains["Orche"]
    for who in (watcher, participant, w.voters[1]):
        who.client.get(VOTE + "?lang=en")  # the language cookie set once, before comparing
    client.get(VOTE + "?lang=en")
    assert vote(watcher, w.teams["Gabbiani"]).status_code == 303
    watcher.client.get(VOTE)  # the notice of their own vote, read once
    before = {
        "anonymous": _seen(client.get(VOTE)),
        "watcher": _seen(watcher.client.get(VOTE)),
        "participant": _seen(participant.client.get(VOTE)),
    }
    # others vote, withdraw and vote again, for the teams the watchers see
    assert vote(w.voters[1], w.teams["Delfini"]).status_code == 303
    assert vote(w.voters[2], w.teams["Delfini"]).status_code == 303
    assert vote(w.voters[2], w.teams["Gabbiani"]).status_code == 303
    assert withdraw(w.voters[2], w.teams["Gabbiani"]).status_code == 303
    assert vote(w.voters[3], w.teams["Orche"]).status_code == 303
    assert vote(w.captains["Delfini"], w.teams["Orche"]).status_code == 303
    after = {
        "anonymous": _seen(client.get(VOTE)),
        "watcher": _seen(watcher.client.get(VOTE)),
        "participant": _seen(participant.client.get(VOTE)),
    }
    for who in before:
        assert before[who] == after[who], f"{who}'s page moved with other people's votes"
    # the pages said something, and nothing like a count
    body = flat(after["watcher"][1].decode())
    assert "Delfini" in body and "you voted for this team" in body
    assert "counts stay hidden" in body and " votes" not in body.replace("votes left", "")
    # the organisers see the counts all along
    seen = flat(w.boss.client.get(ORGANISE + "?lang=en").text)
    assert "Delfini · 2 votes" in seen and "Orche · 2 votes" in seen and "Gabbiani · 1 vote" in seen
    assert "Only the organisers see these counts" in seen


def test_the_reveal_shows_the_ranking_with_ties(client: TestClient) -> None:
    w = vote_world(client, voters=3)
    for voter in w.voters[:2]:
        assert vote(voter, w.teams["Delfini"]).status_code == 303
        assert vote(voter, w.teams["Gabbiani"]).status_code == 303
    assert vote(w.voters[2], w.teams["Orche"]).status_code == 303
    # not while voting is open: counts read during the vote would steer it
    early = post(w.boss, ORGANISE + "/reveal?lang=en")
    assert early.status_code == 409 and "Voting is not over" in flat(early.text)
    assert "Ranking" not in client.get(VOTE + "?lang=en").text
    set_window(client, opened=timedelta(days=2), closes=timedelta(minutes=-1))
    page = w.boss.client.get(ORGANISE + "?lang=en").text
    assert "Reveal the counts…" in page and "This cannot be undone" in page
    assert "<details" in page  # the button sits behind the confirmation
    done = post(w.boss, ORGANISE + "/reveal")
    assert done.status_code == 303 and done.headers["location"] == ORGANISE
    assert "The counts are revealed" in flat(w.boss.client.get(ORGANISE + "?lang=en").text)
    public = flat(client.get(VOTE + "?lang=en").text)
    assert "Ranking" in public
    assert "1. Delfini · 2 votes (tied)" in public
    assert "1. Gabbiani · 2 votes (tied)" in public
    assert "3. Orche · 1 vote" in public and "Orche · 1 vote (tied)" not in public
    assert "Classifica" in client.get(VOTE + "?lang=it").text
    again = post(w.boss, ORGANISE + "/reveal?lang=en")
    assert again.status_code == 409 and "already revealed" in again.text
    with Session(engine_of(client)) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert actions.count("vote.reveal") == 1
    audit = flat(w.boss.client.get(f"/organise/{SLUG}/audit?lang=en").text)
    assert "Boss revealed the people's choice counts and ranking to everyone." in audit


def test_only_organisers_reveal(client: TestClient) -> None:
    w = vote_world(client, voters=1)
    set_window(client, opened=timedelta(days=2), closes=timedelta(minutes=-1))
    refused = post(w.voters[0], ORGANISE + "/reveal")
    assert refused.status_code == 403
    assert "Ranking" not in client.get(VOTE + "?lang=en").text
