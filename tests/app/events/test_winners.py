"""The winners page: published by the event's organisers (asking first), a podium per challenge
from its final ranking, and nothing of a private board before that board is revealed."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from app.accounts.models import Role, User
from app.challenges.models import Challenge, Phase
from app.core.db import session_scope
from app.events.models import Event
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.mail.models import OutboxMail
from app.submissions.models import Score, Status, Submission
from app.teams.models import Team
from tests.app.events.test_event_site import SLUG
from tests.app.events.test_registration import make_event
from tests.app.web.web_helpers import BOARD, engine_of, person
from tests.factories import make_team

SEA = "sea-surface-temperature"
# team → (public rmse, private rmse): the private order is the reverse of the public one
TEAMS = {"Delfini": (0.10, 0.30), "Gabbiani": (0.20, 0.20), "Meduse": (0.30, 0.10)}
WINNERS = f"/events/{SLUG}/winners"


def scored_teams(client: TestClient) -> None:
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SEA)).one()
        challenge.config = dict(BOARD)
        session.add(challenge)
        phase = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).one()
        spec = BoardSpec.from_config(challenge.config)
        for n, (name, (public, private)) in enumerate(TEAMS.items()):
            captain = User(email=f"c{n}@example.org", name=f"Captain {n}", email_verified=n > 0)
            session.add(captain)
            session.flush()
            team = make_team(session, challenge, captain, name)
            sub = Submission(
                challenge_id=challenge.id, phase_id=phase.id, team_id=team.id,
                user_id=captain.id, status=Status.scored, kind="predictions",
                file_sha256="0" * 64, filename="p.csv", size=1,
            )  # fmt: skip
            session.add(sub)
            session.flush()
            assert sub.id is not None and phase.id is not None and team.id is not None
            values = {"rmse": public, "mae": public / 2}
            for key, value in values.items():
                session.add(Score(submission_id=sub.id, split="public", key=key, value=value))
            session.add(Score(submission_id=sub.id, split="private", key="rmse", value=private))
            session.add(Score(submission_id=sub.id, split="private", key="mae", value=private / 2))
            offer(session, spec, phase_id=phase.id, team_id=team.id, split="public",
                  submission_id=sub.id, submitted_at=sub.created_at, values=values)  # fmt: skip


def set_private(client: TestClient, team: str, value: float) -> None:
    with session_scope(engine_of(client)) as session:
        sub = session.exec(select(Submission).join(Team).where(Team.name == team)).one()
        score = session.exec(
            select(Score).where(
                Score.submission_id == sub.id, Score.split == "private", Score.key == "rmse"
            )
        ).one()
        score.value = value
        session.add(score)


def reveal(client: TestClient) -> None:
    with session_scope(engine_of(client)) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SEA)).one()
        challenge.private_revealed = True
        session.add(challenge)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_publishing_asks_first_and_the_page_shows_no_board_before_reveal(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    scored_teams(client)
    organiser = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    assert client.get(WINNERS).status_code == 404  # not published yet
    preview = flat(organiser.client.get(f"{WINNERS}?lang=en").text)
    assert "Preview: only the organisers see this page" in preview
    assert "The results of this challenge are not final yet." in preview
    assert 'class="podium"' not in preview  # (the teams are named in the track prize's form)

    # a hidden change (a private score) changes nothing the page shows
    set_private(client, "Meduse", 0.99)
    assert flat(organiser.client.get(f"{WINNERS}?lang=en").text) == preview

    csrf = organiser.csrf(WINNERS)
    asked = flat(organiser.client.post(f"/events/{SLUG}/results?lang=en",
                                       data={"publish": "yes", "csrf_token": csrf}).text)  # fmt: skip
    assert "The winners page becomes public" in asked
    assert "These challenges are not final yet and show no ranking: Temperature" in asked
    with session_scope(engine_of(client)) as session:
        assert not session.exec(select(Event)).one().results_published
    done = organiser.client.post(
        f"/events/{SLUG}/results?lang=en", follow_redirects=True,
        data={"publish": "yes", "confirm": "yes", "csrf_token": csrf},
    )  # fmt: skip
    assert "Results published." in done.text
    again = {"publish": "no", "confirm": "yes", "csrf_token": csrf}
    organiser.client.post(f"/events/{SLUG}/results", data=again)
    organiser.client.post(f"/events/{SLUG}/results", data={**again, "publish": "yes"})
    with session_scope(engine_of(client)) as session:  # sent by the mail worker (tests/app/mail)
        told = session.exec(select(OutboxMail).where(OutboxMail.kind == "event_results")).all()
    # once, to each team member with a verified address (c0's is not)
    assert sorted(m.to_address for m in told) == [f"c{n}@example.org" for n in range(1, len(TEAMS))]
    assert "/events/" in told[0].body_text and "/winners" in told[0].body_text
    public = flat(client.get(f"{WINNERS}?lang=en").text)
    assert "The results of this challenge are not final yet." in public
    assert "Publish the results" not in public and not any(team in public for team in TEAMS)
    outsider = person(client, "otto@example.org", "Otto", Role.organiser)
    refused = outsider.client.post(f"/events/{SLUG}/results",
                                   data={"publish": "no", "confirm": "yes",
                                         "csrf_token": outsider.csrf("/account")})  # fmt: skip
    assert refused.status_code == 404


def test_after_reveal_the_podium_follows_the_private_board_with_its_prize(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    scored_teams(client)
    reveal(client)
    organiser = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    page = flat(organiser.client.get(f"{WINNERS}?lang=it").text)
    assert "Classificati secondo la classifica privata." in page
    with session_scope(engine_of(client)) as session:
        ids = {t.name: t.id for t in session.exec(select(Team))}
        sea = session.exec(select(Challenge).where(Challenge.slug == SEA)).one().id
    assert sea is not None

    def entry(team: str) -> str:  # each team links to its work: its page on the leaderboard
        return f'<strong><a href="http://testserver/challenges/{SEA}/leaderboard/teams/{ids[team]}">{team}</a></strong>'

    first, second, third = (page.index(entry(t)) for t in ("Meduse", "Gabbiani", "Delfini"))
    assert first < second < third
    assert entry("Meduse") + " — Premio della ricerca: Una settimana nei laboratori" in page


def test_the_organisers_award_a_track_prize_to_a_team_of_that_track(
    client: TestClient, tmp_path: Path
) -> None:
    make_event(client, tmp_path)
    scored_teams(client)
    organiser = person(client, "organizzazione@marea.example", "Orsola", Role.organiser)
    key = "mare-e-porto:First prize of the Sea and port track"
    page = organiser.client.get(f"{WINNERS}?lang=en").text
    assert f'value="{key}"' in page and "awarded by the jury at the ceremony" in page
    with session_scope(engine_of(client)) as session:
        meduse = session.exec(select(Team).where(Team.name == "Meduse")).one().id

    def award(team: object, prize: str = key) -> int:
        response = organiser.client.post(
            f"/events/{SLUG}/prizes?lang=en",
            data={"key": prize, "team_id": str(team), "csrf_token": organiser.csrf(WINNERS)},
            follow_redirects=False,
        )
        return response.status_code

    assert award(meduse) == 303
    page = flat(organiser.client.get(f"{WINNERS}?lang=en").text)
    assert "Prize saved." in page
    assert '<strong class="winner">Meduse</strong> (Temperature)' in page
    other_track = "citta-e-mobilita:First prize of the City and mobility track"
    assert award(meduse, other_track) == 422, "a team of another track's challenge"
    assert award(meduse, "no-such:prize") == 422
    audit = organiser.client.get(f"/events/{SLUG}/audit?lang=en").text
    assert "awarded the prize First prize of the Sea and port track to team Meduse" in audit
    outsider = person(client, "otto@example.org", "Otto", Role.organiser)
    refused = outsider.client.post(
        f"/events/{SLUG}/prizes",
        data={"key": key, "team_id": "", "csrf_token": outsider.csrf("/account")},
    )
    assert refused.status_code == 404
    assert award("") == 303
    assert "Meduse</strong> (" not in organiser.client.get(f"{WINNERS}?lang=en").text
