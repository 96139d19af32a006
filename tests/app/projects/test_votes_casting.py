"""People's choice: casting and withdrawing votes, and every rule that refuses one.

Each refusal is a sentence the voter reads in their language (Italian by default), with the
status its kind maps to; nothing is stored when a vote is refused.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.challenges.models import Challenge
from app.projects.vote_models import Vote
from app.projects.votes import window_of
from app.text.timefmt import format_local
from tests.app.accounts.helpers import form_token
from tests.app.projects.vote_helpers import (
    VOTE,
    flat,
    set_window,
    team_for,
    vote,
    vote_world,
    withdraw,
)
from tests.app.projects_only.project_helpers import SLUG
from tests.app.web.conftest import client, redis_15, web_settings
from tests.app.web.web_helpers import engine_of, person

__all__ = ["client", "redis_15", "web_settings"]


def _votes(client: TestClient) -> list[tuple[int, int]]:
    with Session(engine_of(client)) as session:
        return [(v.voter_id, v.team_id) for v in session.exec(select(Vote).order_by(Vote.id))]


def test_vote_and_withdraw(client: TestClient) -> None:
    w = vote_world(client)
    ada = w.voters[0]
    assert vote(ada, w.teams["Delfini"]).status_code == 303
    assert _votes(client) == [(ada.user_id, w.teams["Delfini"])]
    page = flat(ada.client.get(VOTE + "?lang=en").text)
    assert "Your vote is saved." in page and "you voted for this team" in page
    assert "You have 1 vote left." in page
    assert withdraw(ada, w.teams["Delfini"]).status_code == 303
    assert _votes(client) == []
    page = flat(ada.client.get(VOTE + "?lang=en").text)
    assert "Your vote is withdrawn" in page and "You have 2 votes left." in page
    # withdrawing frees the vote: the same team can have it again
    assert vote(ada, w.teams["Delfini"]).status_code == 303
    again = vote(ada, w.teams["Delfini"], "?lang=en")
    assert again.status_code == 409 and "already voted for this team" in again.text
    nothing = withdraw(ada, w.teams["Orche"])
    assert nothing.status_code == 404


def test_at_most_max_votes_and_withdrawing_frees_one(client: TestClient) -> None:
    w = vote_world(client, max_votes=2)
    ada = w.voters[0]
    assert vote(ada, w.teams["Delfini"]).status_code == 303
    assert vote(ada, w.teams["Gabbiani"]).status_code == 303
    third = vote(ada, w.teams["Orche"], "?lang=en")
    assert third.status_code == 429
    assert "You have used all your 2 votes" in flat(third.text)
    italian = vote(ada, w.teams["Orche"], "?lang=it")
    assert "Hai usato tutti i tuoi 2 voti" in flat(italian.text)
    assert len(_votes(client)) == 2
    assert withdraw(ada, w.teams["Gabbiani"]).status_code == 303
    assert vote(ada, w.teams["Orche"]).status_code == 303
    assert sorted(t for _, t in _votes(client)) == sorted([w.teams["Delfini"], w.teams["Orche"]])


def test_a_self_vote_is_refused(client: TestClient) -> None:
    w = vote_world(client)
    mate = person(client, "mate@example.org", "Mate")
    own = team_for(client, w.voters[0], "Squali", mate)
    for member in (w.voters[0], mate):
        refused = vote(member, own, "?lang=en")
        assert refused.status_code == 403
        assert "You cannot vote for your own team" in flat(refused.text)
    assert "Non puoi votare la tua squadra" in flat(vote(mate, own, "?lang=it").text)
    assert _votes(client) == []
    # the page offers no button for it either
    page = mate.client.get(VOTE + "?lang=en").text
    assert f'name="team_id" value="{own}"' not in page and "your team" in page
    # ... and they may still vote for others
    assert vote(mate, w.teams["Orche"]).status_code == 303


def test_an_unverified_account_is_refused(client: TestClient) -> None:
    w = vote_world(client)
    eve = person(client, "eve@example.org", "Eve", verified=False)
    refused = vote(eve, w.teams["Delfini"], "?lang=en")
    assert refused.status_code == 403
    assert "Verify your e-mail address before voting" in flat(refused.text)
    assert "Verifica il tuo indirizzo e-mail prima di votare" in flat(
        vote(eve, w.teams["Delfini"], "?lang=it").text
    )
    assert _votes(client) == []
    assert 'name="team_id"' not in eve.client.get(VOTE).text


def test_anonymous_is_sent_to_log_in(client: TestClient) -> None:
    w = vote_world(client)
    page = client.get(VOTE + "?lang=en")
    assert page.status_code == 200 and "Sign in to vote" in page.text
    assert 'name="team_id"' not in page.text
    token = form_token(client, "/login")
    sent = client.post(
        VOTE, data={"team_id": str(w.teams["Delfini"]), "csrf_token": token}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/login?next=")
    assert _votes(client) == []


def test_outside_the_window_is_refused(client: TestClient) -> None:
    w = vote_world(client)
    ada = w.voters[0]
    assert vote(ada, w.teams["Delfini"]).status_code == 303
    set_window(client, opened=timedelta(hours=-2), closes=timedelta(days=1))
    early = vote(ada, w.teams["Orche"], "?lang=en")
    assert early.status_code == 409 and "Voting has not opened yet: it opens on" in flat(early.text)
    assert "Le votazioni non sono ancora aperte" in flat(
        vote(ada, w.teams["Orche"], "?lang=it").text
    )
    set_window(client, opened=timedelta(days=2), closes=timedelta(hours=-1))
    late = vote(ada, w.teams["Orche"], "?lang=en")
    assert late.status_code == 409 and "Voting closed on" in flat(late.text)
    # after the close a vote can no longer be taken back either
    assert withdraw(ada, w.teams["Delfini"]).status_code == 409
    assert _votes(client) == [(ada.user_id, w.teams["Delfini"])]
    # the dates are shown in the challenge's clock (Europe/Rome for this bundle)
    with Session(engine_of(client)) as session:
        found = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        window = window_of(found)
    assert window is not None
    shown = flat(ada.client.get(VOTE + "?lang=en").text)
    assert f"Voting closed on {format_local(window.end, 'en', 'Europe/Rome')}" in shown


def test_a_challenge_without_people_choice_has_no_vote_page(client: TestClient) -> None:
    from tests.app.projects_only.project_helpers import load_project

    load_project(client)
    assert client.get(VOTE).status_code == 404
    assert f'{VOTE}">' not in client.get(f"/challenges/{SLUG}").text


def test_the_challenge_and_organiser_pages_link_to_the_vote(client: TestClient) -> None:
    w = vote_world(client)
    assert f'{VOTE}">' in client.get(f"/challenges/{SLUG}").text
    assert f'/organise/{SLUG}/votes">' in w.boss.client.get(f"/organise/{SLUG}").text


def test_a_team_with_a_project_is_never_left_empty_and_keeps_its_votes(
    client: TestClient,
) -> None:
    """The last member of a team that handed in a project cannot leave (its versions are the
    team's work, kept as submissions are): the team, and the votes it received, stay."""
    w = vote_world(client, max_votes=1)
    ada = w.voters[0]
    assert vote(ada, w.teams["Orche"]).status_code == 303
    orca = w.captains["Orche"]
    left = orca.client.post(
        f"/challenges/{SLUG}/team/leave?lang=en",
        data={"csrf_token": orca.csrf(f"/challenges/{SLUG}/team")},
        follow_redirects=True,
    )
    assert "handed in a project" in left.text
    assert _votes(client) == [(ada.user_id, w.teams["Orche"])]


def test_only_teams_showing_a_project_can_be_voted_for(client: TestClient) -> None:
    from app.core.db import session_scope
    from app.projects.models import Project
    from app.teams.models import Team
    from app.teams.service import create_team

    world = vote_world(client)
    idle_captain = person(client, "idle@example.org", "Idle Captain")
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        idle = create_team(session, challenge, idle_captain.user_id, "Senza progetto")
        assert isinstance(idle, Team) and idle.id is not None
        idle_id = idle.id
    page = world.voters[0].client.get("/challenges/" + SLUG + "/vote?lang=en").text
    assert "Senza progetto" not in page and "Orche" in page
    assert vote(world.voters[0], idle_id).status_code == 404
    # A team that keeps its project out of the gallery is not put to the public vote either.
    with session_scope(engine_of(client)) as session:
        project = session.exec(select(Project).where(Project.team_id == world.teams["Orche"])).one()
        project.gallery_opt_out = True
        session.add(project)
    assert vote(world.voters[0], world.teams["Orche"]).status_code == 404
    assert _votes(client) == []
