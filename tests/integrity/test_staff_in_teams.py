"""Someone in a team of a challenge is a participant there, whatever their role.

Issue 11, class 11. During a freeze, staff (judges, organisers, admins) see the
live board, participants the board as it froze. For every role, in a team of
the challenge or not, every channel (the JSON board, the page with its chart,
the live stream) must give the participant's view to those who compete, also
to someone who joins a team while their stream is open; and the challenge's
organiser pages (exports included) are closed to them.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlmodel import Session, select

from app.accounts.models import Role
from app.jury.models import JudgeAssignment
from app.teams.models import Team
from tests.integrity.world import Contest, Person, Stream, running_contest

REDIS_DB = 5

# (name, role, competes): who reads the board during the freeze
READERS = [
    ("Judy", Role.judge, False),
    ("Jack", Role.judge, True),
    ("Olga", Role.organiser, False),
    ("Oscar", Role.organiser, True),
    ("Ada", Role.admin, False),
    ("Abe", Role.admin, True),
    ("Pia", Role.participant, False),
]


def _join(contest: Contest, who: Person, team: str) -> None:
    with Session(contest.engine()) as session:
        code = session.exec(
            select(Team.invite_code).where(
                Team.challenge_id == contest.challenge_id, Team.name == team
            )
        ).one()
    answer = who.post_form(contest.a, f"/challenges/{contest.slug}/team/join", code=code)
    assert answer.status_code == 303, answer.text[-2000:]


def _rows(client: httpx.Client, url: str) -> list[str]:
    client.get(url)
    return [row["team"]["name"] for row in client.get(url).json()["rows"]]


def _heard(stream: Stream, mark: int) -> bool:
    return any(line == "event: board" for line in stream.events_since(mark))


def test_competing_staff_get_the_participants_board_everywhere(tmp_path: Path) -> None:
    with running_contest(tmp_path, REDIS_DB) as contest:
        org = contest.person("Org", Role.organiser)
        ann, tom = contest.person("Ann"), contest.person("Tom")
        contest.team(ann, "Osservatori")
        contest.team(tom, "Tonni")
        readers = {name: (contest.person(name, role), competes) for name, role, competes in READERS}
        for who, competes in readers.values():
            if competes:
                _join(contest, who, "Osservatori")
        # A judge's staff view of a board is for the challenges they judge: assign the judges.
        with Session(contest.engine()) as session:
            for name, role, competes in READERS:
                if role == Role.judge and not competes:
                    session.add(
                        JudgeAssignment(
                            challenge_id=contest.challenge_id, user_id=readers[name][0].user_id
                        )
                    )
            session.commit()
        late = contest.person("Lena", Role.judge)  # joins a team while her stream is open
        contest.submit(ann, 0.5, 0.5)
        contest.submit(tom, 1.0, 1.0)
        contest.organiser_action(org, "freeze")
        b = contest.b
        path = f"/api/v1/challenges/{contest.slug}/events"
        streams = {
            name: Stream(b.url + path, who.bearer()).start()
            for name, (who, _) in {**readers, "Lena": (late, False)}.items()
        }
        contest.settle()
        _join(contest, late, "Tonni")
        marks = {name: stream.mark() for name, stream in streams.items()}
        contest.submit(tom, 0.2, 0.2)  # after the freeze: Tonni leads the live board only
        contest.settle()

        url = f"{b.url}/api/v1/challenges/{contest.slug}/leaderboard"
        page = f"/challenges/{contest.slug}/leaderboard?lang=en"
        seen = {}
        for name, (who, _competes) in {**readers, "Lena": (late, True)}.items():
            with httpx.Client(headers=who.bearer(), timeout=30) as api:
                rows = _rows(api, url)
            html = who.browser(b).get(page).text
            seen[name] = (rows, "0.200" in html, _heard(streams[name], marks[name]))
        for stream in streams.values():
            stream.close()

        live = (["Tonni", "Osservatori"], True, True)
        frozen = (["Osservatori", "Tonni"], False, False)
        expected = {
            name: (frozen if competes or role == Role.participant else live)
            for name, role, competes in READERS
        }
        expected["Lena"] = frozen
        assert seen == expected, json.dumps(seen, indent=1)

        # Staff pages of the challenge (which show hidden data and live standings) are closed
        # to competitors, admins included.
        for name, role, competes in READERS:
            who = readers[name][0]
            browser = who.browser(b)
            for path in (
                f"/organise/{contest.slug}",
                f"/organise/{contest.slug}/export/leaderboard.csv",
                f"/organise/{contest.slug}/teams",
            ):
                answer = browser.get(path, follow_redirects=False)
                if role in (Role.organiser, Role.admin) and not competes:
                    assert answer.status_code == 200, (name, path, answer.status_code)
                else:
                    assert answer.status_code == 403, (name, path, answer.status_code)
                    if competes:
                        assert "take part in it as a participant" in answer.text, (name, path)
