"""Final choices lock when the phase ends or the private board is revealed, on every path.

Through the real site (TestClient on SQLite and PostgreSQL, Redis): the team
chooses on the page and through the API, the organiser moves phase dates,
reveals and hides with the real forms, and the private board is read through
the public API. Scored submissions are inserted with their scores, as the
worker would leave them (tests/app/submissions/test_finals_worker.py judges
them for real).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.submissions.models import Score, Status, Submission, SubmissionEvent
from app.teams.models import Team
from app.text.timefmt import format_local
from tests.app.accounts.helpers import csrf_from
from tests.app.organisers.org_helpers import SEA, zip_folder
from tests.app.web.conftest import client, redis_15, web_settings
from tests.app.web.web_helpers import BOARD, Person, challenge, engine_of, person, team_for

__all__ = ["client", "redis_15", "web_settings"]

SLUG = "sea-temp"
SPEC = BoardSpec.from_config(BOARD)
FORM_TIME = "%Y-%m-%dT%H:%MZ"  # explicit UTC: the form's wall times are the challenge's zone


def scored(
    site: TestClient, phase_id: int, team_id: int, user_id: int, public: float, private: float
) -> int:
    """A scored submission with its public and private RMSE, and the live board updated."""
    at = utcnow() - timedelta(hours=1)
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
        session.add(Score(submission_id=sub.id, split="public", key="rmse", value=public))
        session.add(Score(submission_id=sub.id, split="private", key="rmse", value=private))
        offer(
            session,
            SPEC,
            phase_id=phase_id,
            team_id=team_id,
            split="public",
            submission_id=sub.id,
            submitted_at=at,
            values={"rmse": public},
        )
        session.commit()
        return sub.id


@dataclass
class World:
    site: TestClient
    org: Person
    ada: Person  # team Aragoste
    bob: Person  # team Balene, which chooses nothing
    phase_id: int
    s1: int  # Aragoste's, chosen while the phase is open
    s2: int  # Aragoste's, not chosen; the better private score
    b1: int  # Balene's best public
    b2: int  # Balene's second best public
    b3: int  # Balene's worst public, with the best private score of all

    def choose_api(self, sid: int, selected: bool) -> tuple[int, str]:
        response = self.site.post(
            f"/api/v1/submissions/{sid}/final",
            json={"selected": selected},
            headers=self.ada.bearer(),
        )
        body = response.json()
        message = body["error"]["message"] if response.status_code >= 400 else ""
        return response.status_code, str(message)

    def choose_page(self, sid: int, selected: bool) -> tuple[int, str]:
        token = self.ada.csrf(f"/submissions/{sid}")
        response = self.ada.client.post(
            f"/submissions/{sid}/final?lang=en",
            data={"csrf_token": token, "selected": "1" if selected else "0"},
            follow_redirects=False,
        )
        return response.status_code, response.text

    def flags(self) -> dict[int, bool]:
        with Session(engine_of(self.site)) as session:
            rows = session.exec(select(Submission.id, Submission.selected_final)).all()
        return {int(sid): bool(flag) for sid, flag in rows if sid in (self.s1, self.s2)}

    def choice_events(self) -> list[tuple[int, str, str]]:
        with Session(engine_of(self.site)) as session:
            rows = session.exec(
                select(SubmissionEvent)
                .where(col(SubmissionEvent.status).in_(["final", "not-final"]))
                .order_by(col(SubmissionEvent.id))
            ).all()
        return [(e.submission_id, e.status, e.detail) for e in rows]

    def phase(self) -> Phase:
        with Session(engine_of(self.site)) as session:
            phase = session.get(Phase, self.phase_id)
            assert phase is not None
            return phase

    def first_reveal(self) -> datetime:
        with Session(engine_of(self.site)) as session:
            event = session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "board.reveal")
                .order_by(col(AuditEvent.id))
            ).first()
            assert event is not None, "no reveal was recorded"
            return event.at

    def private_board(self) -> list[tuple[str, int]]:
        response = self.site.get(f"/api/v1/challenges/{SLUG}/leaderboard?split=private")
        assert response.status_code == 200, response.text
        return [(row["team"]["name"], row["submission_id"]) for row in response.json()["rows"]]


def _organiser_post(org: Person, path: str, **data: str) -> tuple[int, str]:
    token = org.csrf(f"/organise/{SLUG}")
    response = org.client.post(
        f"{path}?lang=en", data={**data, "csrf_token": token}, follow_redirects=False
    )
    return response.status_code, response.text


def set_dates(world: World, start: datetime, end: datetime) -> tuple[int, str]:
    return _organiser_post(
        world.org,
        f"/organise/{SLUG}/phases/development",
        start=start.strftime(FORM_TIME),
        end=end.strftime(FORM_TIME),
    )


def reveal(world: World, **form: str) -> tuple[int, str]:
    return _organiser_post(world.org, f"/organise/{SLUG}/reveal", **form)


def hide(world: World) -> tuple[int, str]:
    return _organiser_post(world.org, f"/organise/{SLUG}/hide-private")


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def make_world(site: TestClient) -> World:
    cid, pid = challenge(site)
    org = person(site, "org@example.org", "Orsola", Role.organiser)
    ada = person(site, "ada@example.org", "Ada")
    bob = person(site, "bob@example.org", "Bob")
    team_a = team_for(site, cid, ada, "Aragoste")
    team_b = team_for(site, cid, bob, "Balene")
    # Aragoste chooses s1 (public 0.30, private 0.33); s2 has the better private score (0.29),
    # the one that would lift it above Balene, which chooses nothing: its two best public
    # submissions count (b1: private 0.31, b2: 0.32), never b3 (private 0.20).
    s1 = scored(site, pid, team_a, ada.user_id, 0.30, 0.33)
    s2 = scored(site, pid, team_a, ada.user_id, 0.31, 0.29)
    b1 = scored(site, pid, team_b, bob.user_id, 0.27, 0.31)
    b2 = scored(site, pid, team_b, bob.user_id, 0.28, 0.32)
    b3 = scored(site, pid, team_b, bob.user_id, 0.40, 0.20)
    world = World(site, org, ada, bob, pid, s1, s2, b1, b2, b3)
    assert world.choose_api(s1, True) == (200, "")
    return world


# --- the moments: how the world gets into a state, and whether choices may change then -------


def _open(world: World) -> None:
    """Nothing happens: the phase is open and the private board has never been shown."""


def _ended(world: World) -> None:
    now = _minute(utcnow())
    assert set_dates(world, now - timedelta(days=2), now - timedelta(minutes=1))[0] == 303


def _upcoming(world: World) -> None:
    now = _minute(utcnow())
    assert set_dates(world, now + timedelta(days=1), now + timedelta(days=3))[0] == 303


def _revealed_early(world: World) -> None:
    assert reveal(world, confirm="yes", early="yes")[0] == 303


def _revealed_then_hidden(world: World) -> None:
    _revealed_early(world)
    assert hide(world)[0] == 303


def _ended_then_revealed(world: World) -> None:
    _ended(world)
    assert reveal(world, confirm="yes")[0] == 303


def _ended_then_reopened(world: World) -> None:
    """Before any reveal an organiser may reopen an ended phase; its choices reopen with it."""
    _ended(world)
    now = _minute(utcnow())
    assert set_dates(world, now - timedelta(days=2), now + timedelta(days=1))[0] == 303


def _ended_reopen_refused_after_reveal(world: World) -> None:
    """After the reveal the same reopening is refused, so the phase stays ended and locked."""
    _ended_then_revealed(world)
    _revealed_hidden = hide(world)
    assert _revealed_hidden[0] == 303
    now = _minute(utcnow())
    status, page = set_dates(world, now - timedelta(days=2), now + timedelta(days=1))
    assert status == 409 and "cannot open again" in page


def _phase_end_message(world: World) -> str:
    end = world.phase().end
    return f"closed on {end:%Y-%m-%d %H:%M} UTC, when the phase ended"


def _reveal_message(world: World) -> str:
    return f"closed on {world.first_reveal():%Y-%m-%d %H:%M} UTC, when the organisers revealed"


def _start_message(world: World) -> str:
    return f"opens on {world.phase().start:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Moment:
    name: str
    arrive: Callable[[World], None]
    may_change: bool
    message: Callable[[World], str] | None = None  # the refusal, in the API and on the page
    page_words: str = ""  # the localised lock line on the page


MOMENTS = [
    Moment("phase open", _open, True),
    Moment("phase ended", _ended, False, _phase_end_message, "closed when the phase ended"),
    Moment("phase not started", _upcoming, False, _start_message, "open with the phase"),
    Moment("revealed while open", _revealed_early, False, _reveal_message, "revealed the private"),
    Moment(
        "revealed, then hidden",
        _revealed_then_hidden,
        False,
        _reveal_message,
        "revealed the private",
    ),
    Moment(
        "ended, then revealed",
        _ended_then_revealed,
        False,
        _phase_end_message,
        "closed when the phase ended",
    ),
    Moment("ended, reopened before a reveal", _ended_then_reopened, True),
    Moment(
        "ended, revealed, hidden, reopening refused",
        _ended_reopen_refused_after_reveal,
        False,
        _phase_end_message,
        "closed when the phase ended",
    ),
]

# Every way a team changes a choice, in order: (how, which submission, choose or unchoose).
# While choices may change each one takes effect, so the next starts from its result.
PATHS = [
    ("api", "s2", True),
    ("api", "s1", False),
    ("page", "s1", True),
    ("page", "s2", False),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=[m.name for m in MOMENTS])
def test_every_path_that_changes_a_final_choice_obeys_the_lock(
    client: TestClient, moment: Moment
) -> None:
    world = make_world(client)
    moment.arrive(world)
    before_flags, before_events = world.flags(), world.choice_events()
    problems: list[str] = []
    for how, which, selected in PATHS:
        sid = getattr(world, which)
        status, text = (world.choose_api if how == "api" else world.choose_page)(sid, selected)
        flag = world.flags()[sid]
        label = f"{how} {'choose' if selected else 'unchoose'} {which}"
        if moment.may_change:
            if status not in (200, 303) or flag != selected:
                problems.append(f"{label}: {status}, selected_final={flag}, expected it to change")
            continue
        assert moment.message is not None
        expected = moment.message(world)
        if status != 409:
            problems.append(f"{label}: {status}, expected 409")
        if expected not in text:
            problems.append(f"{label}: the refusal does not say {expected!r}: {text[:300]!r}")
        if how == "page" and moment.page_words not in text:
            problems.append(f"{label}: the refused page does not show the lock")
    if moment.may_change:
        # Each change is in the history, with who made it.
        new = world.choice_events()[len(before_events) :]
        assert [(sid, status) for sid, status, _ in new] == [
            (world.s2, "final"),
            (world.s1, "not-final"),
            (world.s1, "final"),
            (world.s2, "not-final"),
        ]
        assert all("Ada" in detail for _, _, detail in new)
    else:
        assert world.flags() == before_flags == {world.s1: True, world.s2: False}
        assert world.choice_events() == before_events, "a refused change wrote history"
        # The page shows the locked choice instead of the buttons.
        page = world.ada.client.get(f"/submissions/{world.s1}?lang=en").text
        assert "Chosen as final." in page and moment.page_words in page
        assert "Unchoose" not in page and "Choose as final" not in page
        other = world.ada.client.get(f"/submissions/{world.s2}?lang=en").text
        assert "Not chosen as final." in other and "Choose as final" not in other
    assert not problems, "\n".join(problems)


def test_the_testers_attack_reading_private_scores_then_swapping_fails(client: TestClient) -> None:
    """The issue's report: after the reveal a team swapped its final and went from #2 to #1."""
    world = make_world(client)
    _ended(world)
    status, page = reveal(world, confirm="yes")
    assert status == 303, page
    board = world.private_board()
    assert board == [("Balene", world.b1), ("Aragoste", world.s1)]
    # Aragoste reads its private scores: s2 (0.29) would beat Balene (0.31). It tries to swap.
    assert world.choose_api(world.s2, True)[0] == 409
    assert world.choose_api(world.s1, False)[0] == 409
    assert world.choose_page(world.s1, False)[0] == 409
    assert world.choose_page(world.s2, True)[0] == 409
    assert world.private_board() == board, "the private board moved after the reveal"
    # Balene chose nothing: its two best public submissions were chosen for it at the reveal,
    # as its history says, and the far better private score of b3 never counts.
    detail = world.bob.client.get(f"/submissions/{world.b1}?lang=en").text
    assert "Chosen as final automatically when the private leaderboard was revealed" in detail
    with Session(engine_of(client)) as session:
        chosen = session.exec(
            select(Submission.id).where(col(Submission.selected_final).is_(True))
        ).all()
        reveal_event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "board.reveal")
        ).one()
    assert sorted(chosen) == sorted([world.s1, world.b1, world.b2])  # Balene's 2 best public
    assert reveal_event.detail == {"phases_not_over": [], "automatic_finals": 2}


def test_the_reveal_asks_for_confirmation_and_again_while_a_phase_is_open(
    client: TestClient,
) -> None:
    world = make_world(client)
    page = world.org.client.get(f"/organise/{SLUG}/reveal?lang=en")
    assert page.status_code == 200
    end = world.phase().end
    assert "Not every phase is over." in page.text
    assert (
        "Teams will see the private scores of 5 submissions of phase Development, which runs until"
        in page.text
    )
    assert f'datetime="{end.isoformat().replace("+00:00", "Z")}"' in page.text
    assert "no team can change its choice afterwards" in page.text
    assert 'name="early"' in page.text and "required" in page.text

    status, text = reveal(world)  # no confirmation at all (an old form, a script)
    assert status == 409 and "confirm" in text
    status, text = reveal(world, confirm="yes")  # confirmed, but the phase is open
    assert status == 409
    local_end = format_local(end, "en", "Europe/Rome")  # the bundle's clock, as pages read it
    assert f"(open, until {local_end}, 5 submissions with private scores)" in text
    assert world.site.get(f"/api/v1/challenges/{SLUG}/leaderboard?split=private").status_code == 403
    with Session(engine_of(client)) as session:
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.action == "board.reveal")).all() == []
        )
        ch = session.exec(select(Challenge)).one()
        assert ch.private_revealed is False
    assert world.choose_api(world.s2, True)[0] == 200, "a refused reveal locked nothing"

    assert reveal(world, confirm="yes", early="yes")[0] == 303
    with Session(engine_of(client)) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "board.reveal")).one()
    assert event.detail["phases_not_over"] == ["development"]
    assert world.site.get(f"/api/v1/challenges/{SLUG}/leaderboard?split=private").status_code == 200
    organiser_page = world.org.client.get(f"/organise/{SLUG}?lang=en").text
    assert "Final choices are locked since the first reveal" in organiser_page
    assert hide(world)[0] == 303
    hidden = world.site.get(f"/challenges/{SLUG}/leaderboard?split=private&lang=en")
    assert hidden.status_code == 403
    assert world.choose_api(world.s2, False)[0] == 409, "hiding again reopened the choices"


def test_after_the_reveal_an_ended_phase_cannot_reopen_but_past_dates_may_move(
    client: TestClient,
) -> None:
    world = make_world(client)
    _ended(world)
    assert reveal(world, confirm="yes")[0] == 303
    ended = world.phase()
    now = _minute(utcnow())
    status, page = set_dates(world, ended.start, now + timedelta(days=1))
    assert status == 409 and "cannot open again" in page
    status, page = set_dates(world, now + timedelta(days=1), now + timedelta(days=2))
    assert status == 409 and "cannot open again" in page
    assert (world.phase().start, world.phase().end) == (ended.start, ended.end)
    # Dates that stay in the past change nothing for the finals and may still be corrected.
    assert (
        set_dates(world, ended.start - timedelta(days=1), ended.end - timedelta(hours=1))[0] == 303
    )
    assert world.choose_api(world.s2, True)[0] == 409


def _upload(org: Person, content: bytes) -> tuple[int, str]:
    token = csrf_from(org.client.get("/organise").text)
    response = org.client.post(
        "/organise/upload?lang=en",
        data={"csrf_token": token},
        files={"bundle": ("bundle.zip", content, "application/zip")},
        follow_redirects=False,
    )
    return response.status_code, response.text


def test_a_new_bundle_version_cannot_reopen_a_phase_or_change_n_after_the_lock(
    client: TestClient,
) -> None:
    org = person(client, "org@example.org", "Orsola", Role.organiser)
    ada = person(client, "ada@example.org", "Ada")
    assert _upload(org, zip_folder(SEA))[0] == 303
    slug = "sea-surface-temperature"
    yaml = (SEA / "challenge.yaml").read_text()
    with Session(engine_of(client)) as session:
        ch = session.exec(select(Challenge).where(Challenge.slug == slug)).one()
        dev = session.exec(select(Phase).where(Phase.name == "development")).one()
        assert ch.id is not None and dev.id is not None
        cid, pid = ch.id, dev.id
    team = team_for(client, cid, ada, "Aragoste")
    sid = scored(client, pid, team, ada.user_id, 0.3, 0.3)
    end = _minute(utcnow()) - timedelta(minutes=1)
    token = org.csrf(f"/organise/{slug}")
    moved = org.client.post(
        f"/organise/{slug}/phases/development",
        data={"csrf_token": token, "start": "2026-01-01T00:00Z", "end": end.strftime(FORM_TIME)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    # N may not change once a phase with submissions has locked its choices, even before a reveal.
    fewer = yaml.replace("final_submissions: 2", "final_submissions: 1")
    assert fewer != yaml
    status, page = _upload(org, zip_folder(SEA, {"challenge.yaml": fewer}))
    assert status == 409 and "final_submissions cannot change from 2 to 1" in page

    token = org.csrf(f"/organise/{slug}/reveal")
    revealed = org.client.post(
        f"/organise/{slug}/reveal",
        data={"csrf_token": token, "confirm": "yes", "early": "yes"},
        follow_redirects=False,
    )
    assert revealed.status_code == 303
    # The bundle as written still says development runs until 2027: loading it would reopen it.
    touched = {"pages/overview.en.md": "# Overview\n\nCorrected.\n"}
    status, page = _upload(org, zip_folder(SEA, touched))
    assert status == 409 and "cannot open again" in page and "challenge.yaml" in page
    with Session(engine_of(client)) as session:
        assert session.get(Phase, pid).end == end  # type: ignore[union-attr]
        assert session.get(Challenge, cid).version == 1  # type: ignore[union-attr]
    # With the phase's real dates written in, the new version loads.
    dated = yaml.replace("end: 2027-03-01T00:00:00Z", f"end: {end.isoformat()}", 1)
    dated = dated.replace("start: 2026-11-01T00:00:00Z", "start: 2026-01-01T00:00:00Z", 1)
    assert dated != yaml
    status, page = _upload(org, zip_folder(SEA, {**touched, "challenge.yaml": dated}))
    assert status == 303, page
    with Session(engine_of(client)) as session:
        assert session.get(Challenge, cid).version == 2  # type: ignore[union-attr]
        assert session.get(Submission, sid).selected_final is True  # type: ignore[union-attr]
