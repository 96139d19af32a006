"""The organisers' view of who takes part: teams with members, e-mails, counts and best
scores, and the submissions list with its filters and pages."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.organisers import participation
from app.submissions.models import Status
from app.teams.models import Membership
from tests.app.organisers.org_helpers import queued_submission
from tests.app.organisers.test_freeze import scored
from tests.app.web.web_helpers import challenge, engine_of, person, team_for


def _world(site: TestClient) -> tuple[int, int, int, int]:
    cid, pid = challenge(site)
    ada = person(site, "ada@example.org", "Ada Lovelace")
    bob = person(site, "bob@example.org", "Bob Marley")
    eve = person(site, "eve@example.org", "Eve Moneypenny")
    delfini = team_for(site, cid, ada, "Delfini")
    balene = team_for(site, cid, eve, "Balene")
    with Session(engine_of(site)) as session:
        session.add(Membership(team_id=delfini, user_id=bob.user_id, challenge_id=cid))
        session.commit()
    now = utcnow()
    scored(site, pid, delfini, ada.user_id, 0.5, now - timedelta(hours=3))
    scored(site, pid, delfini, bob.user_id, 0.25, now - timedelta(hours=2))
    queued_submission(site, delfini, ada.user_id, status=Status.failed, failure="bad_format",
                      message="Column 'value' is missing.")  # fmt: skip
    scored(site, pid, balene, eve.user_id, 0.75, now - timedelta(hours=1))
    return cid, pid, delfini, balene


def test_teams_show_members_emails_counts_and_best_scores(site: TestClient) -> None:
    cid, _pid, delfini, balene = _world(site)
    org = person(site, "org@example.org", "Org", Role.organiser)
    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        facts = {f.team.name: f for f in participation.team_facts(session, ch)}
    d = facts["Delfini"]
    assert [(m.name, m.email, m.captain) for m in d.members] == [
        ("Ada Lovelace", "ada@example.org", True),
        ("Bob Marley", "bob@example.org", False),
    ]
    assert (d.submissions, d.scored, d.failed, d.best) == (3, 2, 1, 0.25)
    b = facts["Balene"]
    assert (b.submissions, b.scored, b.failed, b.best) == (1, 1, 0, 0.75)

    page = org.client.get("/organise/sea-temp/teams?lang=en").text
    row = page[page.index(f'id="team-{delfini}"') :]
    row = row[: row.index("</tr>")]
    assert "mailto:ada@example.org" in row and "Bob Marley" in row and "(captain)" in row
    assert "2 members" in row and "3 submissions" in row and "2 scored, 1 failed" in row
    assert "0.25" in row
    italian = org.client.get("/organise/sea-temp/teams?lang=it").text
    row_it = italian[italian.index(f'id="team-{balene}"') :]
    assert "0,75" in row_it[: row_it.index("</tr>")]
    assert "(capitano)" in italian


def test_submissions_list_filters_and_pages(site: TestClient) -> None:
    _cid, _pid, delfini, balene = _world(site)
    org = person(site, "org@example.org", "Org", Role.organiser)
    base = "/organise/sea-temp/submissions"

    def rows(query: str) -> list[str]:
        text = org.client.get(f"{base}?lang=en&{query}").text
        return re.findall(r'<td class="team">([^<]*)</td>', text)

    assert sorted(rows("")) == ["Balene", "Delfini", "Delfini", "Delfini"]
    assert rows(f"team={balene}") == ["Balene"]
    assert rows(f"team={delfini}&status=failed") == ["Delfini"]
    failed = org.client.get(f"{base}?lang=en&status=failed").text
    assert "Column &#39;value&#39; is missing." in failed or "Column 'value' is missing." in failed
    assert rows("phase=no-such-phase") == []
    assert rows("team=junk&status=junk") == rows("")  # what is not a filter is ignored
    assert rows("team=99999999999999999999") == rows("")  # no row has it: not a database error
    scores = re.findall(r'<td class="score">([^<]*)</td>', org.client.get(f"{base}?lang=en").text)
    assert sorted(scores) == ["0.250", "0.500", "0.750", "–"]

    eve = _first_user(site, balene)
    for _ in range(participation.PAGE_SIZE):
        queued_submission(site, balene, eve)
    first = org.client.get(f"{base}?lang=en&team={balene}").text
    assert "Page 1 of 2" in first and f"team={balene}&amp;page=2" in first
    second = org.client.get(f"{base}?lang=en&team={balene}&page=2").text
    assert len(re.findall(r'class="submission"', second)) == 1
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    beyond = org.client.get(f"{base}?lang=en&team={balene}&page=9").text
    assert "Page 2 of 2" in beyond


def _first_user(site: TestClient, team_id: int) -> int:
    with Session(engine_of(site)) as session:
        membership = session.exec(select(Membership).where(Membership.team_id == team_id)).first()
        assert membership is not None
        return membership.user_id


def test_participants_cannot_open_the_submissions_list(site: TestClient) -> None:
    challenge(site)
    ada = person(site, "ada@example.org", "Ada")
    judge = person(site, "judy@example.org", "Judy", Role.judge)
    assert ada.client.get("/organise/sea-temp/submissions").status_code == 403
    assert judge.client.get("/organise/sea-temp/submissions").status_code == 403
