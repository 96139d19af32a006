"""The board page's lists (issue 14): my team marked, entries and last submission per team,
a team's score history, and the move from public to private rank once revealed.

Integrity runs through all of it: before the private board is revealed, what a participant
sees must not change when only a hidden (private) score does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.challenges.models import Challenge
from app.core.db import session_scope, utcnow
from app.leaderboard.chart import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    WIDTH,
    HistoryWords,
    Point,
    render_history,
)
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.submissions.models import Score, Status, Submission
from app.teams.models import Team
from tests.app.web.web_helpers import BOARD, Person, challenge, engine_of, person, team_for

PAGE = "/challenges/sea-temp/leaderboard"


def _submit(client: TestClient, pid: int, team_id: int, user_id: int, public: float,
            private: float, at: datetime, status: Status = Status.scored) -> int:  # fmt: skip
    """A judged submission with both parts' scores, kept on both boards as a worker would."""
    with session_scope(engine_of(client)) as session:
        sub = Submission(challenge_id=1, phase_id=pid, team_id=team_id, user_id=user_id,
                         kind="predictions", file_sha256="a" * 64, filename="p.csv", size=1,
                         status=status, created_at=at)  # fmt: skip
        session.add(sub)
        session.flush()
        assert sub.id is not None
        if status != Status.scored:
            return sub.id
        for split, value in (("public", public), ("private", private)):
            values = {"rmse": value, "mae": value / 2}
            for key, v in values.items():
                session.add(Score(submission_id=sub.id, split=split, key=key, value=v))
            offer(session, BoardSpec.from_config(BOARD), phase_id=pid, team_id=team_id,
                  split=split, submission_id=sub.id, submitted_at=at, values=values)  # fmt: skip
        return sub.id


def _set_private(client: TestClient, submission_id: int, rmse: float) -> None:
    """Change only a hidden score, as a rescore of the private part would."""
    with session_scope(engine_of(client)) as session:
        for score in session.exec(
            select(Score).where(Score.submission_id == submission_id, Score.split == "private")
        ):
            score.value = rmse if score.key == "rmse" else rmse / 2
            session.add(score)


def _challenge_set(client: TestClient, cid: int, **fields: object) -> None:
    with session_scope(engine_of(client)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        for key, value in fields.items():
            setattr(ch, key, value)
        session.add(ch)


def _main(html: str) -> str:
    """The page's content (the header carries a per-session CSRF token)."""
    found = re.search(r'<main id="main">(.*)</main>', html, re.S)
    assert found
    return found.group(1)


def _row(html: str, team: str) -> str:
    for row in re.findall(r"<tr[^>]*data-team=.*?</tr>", html, re.S):
        if f">{team}</a>" in row:
            return str(row)
    raise AssertionError(f"no row for {team}")


def _three(client: TestClient) -> tuple[int, int, list[Person], list[int], datetime]:
    cid, pid = challenge(client)
    people = [person(client, f"l{i}@example.org", f"L{i}") for i in range(3)]
    names = ["Delfini", "Balene", "Orche"]
    teams = [team_for(client, cid, p, n) for p, n in zip(people, names, strict=True)]
    return cid, pid, people, teams, utcnow() - timedelta(hours=6)


def test_my_team_is_marked_for_me_only_and_the_cached_board_stays_shared(
    client: TestClient,
) -> None:
    _cid, pid, people, teams, t0 = _three(client)
    for i, team in enumerate(teams):
        _submit(client, pid, team, people[i].user_id, 0.1 * (i + 1), 0.5, t0)
    mine = people[1].client.get(f"{PAGE}?lang=en").text
    row = _row(mine, "Balene")
    assert 'class="mine" aria-current="true"' in row and "(your team)" in row
    assert all("mine" not in _row(mine, n) for n in ("Delfini", "Orche"))
    assert "(la tua squadra)" in _row(people[1].client.get(f"{PAGE}?lang=it").text, "Balene")
    for other in (client.get(f"{PAGE}?lang=en").text, people[0].client.get(f"{PAGE}?lang=en").text):
        assert "(your team)" not in _row(other, "Balene") and "aria-current" not in _row(
            other, "Balene"
        )
    assert "(your team)" in _row(people[0].client.get(f"{PAGE}?lang=en").text, "Delfini")
    # The highlight is the page's own: the shared JSON board is the same bytes for everyone.
    api = "/api/v1/challenges/sea-temp/leaderboard"
    assert people[1].client.get(api).content == client.get(api).content
    assert f'data-mine="{teams[1]}"' in mine


def test_entries_and_last_submission_count_scored_submissions_in_local_time(
    client: TestClient,
) -> None:
    _cid, pid, people, teams, t0 = _three(client)
    _submit(client, pid, teams[0], people[0].user_id, 0.5, 0.5, t0)
    _submit(client, pid, teams[0], people[0].user_id, 0.9, 0.9, t0 + timedelta(hours=1))
    _submit(client, pid, teams[0], people[0].user_id, 0, 0, t0 + timedelta(hours=2), Status.failed)
    _submit(client, pid, teams[1], people[1].user_id, 0.4, 0.4, t0 + timedelta(minutes=30))
    page = client.get(f"{PAGE}?lang=en").text
    assert '<th scope="col">Entries</th>' in page and "Last submission" in page
    delfini = _row(page, "Delfini")
    assert '<td class="entries">2</td>' in delfini, "a failed submission is no entry"
    last = re.search(r'<td class="last"><time datetime="([^"]+)"', delfini)
    assert last and last.group(1).startswith(
        (t0 + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    ), "the latest scored one, not the failed one nor the board's best"
    assert '<td class="entries">1</td>' in _row(page, "Balene")
    assert "Orche" not in page, "a team without a score has no row"
    italian = client.get(f"{PAGE}?lang=it").text
    assert "Invii" in italian and "Ultimo invio" in italian
    assert re.search(r'<td class="last"><time datetime="[^"]+Z" title="[^"]+ UTC">\d+ \w+', italian)


def test_a_frozen_board_counts_only_what_was_made_before_the_freeze(client: TestClient) -> None:
    cid, pid, people, teams, t0 = _three(client)
    _submit(client, pid, teams[0], people[0].user_id, 0.5, 0.5, t0)
    _challenge_set(client, cid, frozen_at=t0 + timedelta(hours=1))
    _submit(client, pid, teams[0], people[0].user_id, 0.7, 0.7, t0 + timedelta(hours=2))
    _submit(client, pid, teams[0], people[0].user_id, 0.2, 0.2, t0 + timedelta(hours=3))
    for reader in (client, people[1].client, people[0].client):
        page = reader.get(f"{PAGE}?lang=en").text
        assert '<td class="entries">1</td>' in _row(page, "Delfini")
        history = reader.get(f"{PAGE}/teams/{teams[0]}?lang=en").text
        assert '<dd class="entries">1</dd>' in history and "0.200" not in history
    boss = person(client, "boss@example.org", "Boss")
    with session_scope(engine_of(client)) as session:
        from app.accounts.models import Role, User

        user = session.get(User, boss.user_id)
        assert user is not None
        user.role = Role.organiser
        session.add(user)
    staff = boss.client.get(f"{PAGE}?lang=en").text
    assert '<td class="entries">3</td>' in _row(staff, "Delfini"), "staff see the live board"


def test_a_hidden_score_changes_nothing_a_participant_sees_before_the_reveal(
    client: TestClient,
) -> None:
    cid, pid, people, teams, t0 = _three(client)
    first = _submit(client, pid, teams[0], people[0].user_id, 0.5, 0.5, t0)
    second = _submit(client, pid, teams[0], people[0].user_id, 0.6, 0.6, t0 + timedelta(hours=1))
    _submit(client, pid, teams[1], people[1].user_id, 0.4, 0.4, t0 + timedelta(minutes=20))
    urls = [f"{PAGE}?lang=en", f"{PAGE}/teams/{teams[0]}?lang=en", f"{PAGE}/teams/{teams[1]}"]
    readers = [client, people[0].client, people[2].client]
    before = [_main(r.get(u).text) for r in readers for u in urls]
    _set_private(client, second, 0.01)  # a private score that would win, were it shown
    _set_private(client, first, 7.0)
    after = [_main(r.get(u).text) for r in readers for u in urls]
    assert after == before
    assert people[0].client.get(f"{PAGE}?split=private").status_code == 403
    assert "0.010" not in "".join(after) and "Change from public" not in "".join(after)
    # Once revealed, the private board shows them, moves included.
    _challenge_set(client, cid, private_revealed=True)
    revealed = client.get(f"{PAGE}?split=private&lang=en").text
    assert "0.010" in revealed


def test_the_revealed_private_board_shows_each_team_s_move_from_its_public_rank(
    client: TestClient,
) -> None:
    cid, pid, people, teams, t0 = _three(client)
    # Public: Delfini 1, Balene 2, Orche 3.  Private: Orche 1, Delfini 2, Balene 3.
    _submit(client, pid, teams[0], people[0].user_id, 0.1, 0.5, t0)
    _submit(client, pid, teams[1], people[1].user_id, 0.2, 0.9, t0)
    _submit(client, pid, teams[2], people[2].user_id, 0.3, 0.3, t0)
    _challenge_set(client, cid, private_revealed=True)
    public = client.get(f"{PAGE}?lang=en").text
    assert '<td class="move">' not in public and "Change from public" not in public
    page = client.get(f"{PAGE}?split=private&lang=en").text
    assert "Change from public" in page

    def move(team: str) -> tuple[str, str]:
        found = re.search(
            r'<td class="move"><span aria-hidden="true">([^<]+)</span> '
            r'<span class="visually-hidden">([^<]+)</span></td>',
            _row(page, team),
        )
        assert found, _row(page, team)
        return found.group(1), found.group(2)

    assert move("Orche") == ("▲2", "Up by 2 (public rank 3)")
    assert move("Delfini") == ("▼1", "Down by 1 (public rank 1)")
    assert move("Balene") == ("▼1", "Down by 1 (public rank 2)")
    italian = client.get(f"{PAGE}?split=private&lang=it").text
    assert "Salita di 2 (posizione pubblica 3)" in italian and "Variazione" in italian
    _submit(client, pid, teams[0], people[0].user_id, 0.05, 0.3, t0 + timedelta(hours=1))
    same = client.get(f"{PAGE}?split=private&lang=en").text
    assert "Same as its public rank" in _row(same, "Delfini")


def test_a_team_s_history_steps_through_its_own_best_public_scores(client: TestClient) -> None:
    _cid, pid, people, teams, t0 = _three(client)
    _submit(client, pid, teams[0], people[0].user_id, 0.8, 0.111, t0)
    _submit(client, pid, teams[1], people[1].user_id, 0.3, 0.222, t0 + timedelta(minutes=5))
    _submit(client, pid, teams[0], people[0].user_id, 0.9, 0.333, t0 + timedelta(hours=1))
    _submit(client, pid, teams[0], people[0].user_id, 0.6, 0.444, t0 + timedelta(hours=2))
    board = client.get(f"{PAGE}?lang=en").text
    link = f'{PAGE}/teams/{teams[0]}?phase=development"'
    assert link in _row(board, "Delfini"), "the team's name leads to its history"
    page = client.get(f"{PAGE}/teams/{teams[0]}?lang=en")
    assert page.status_code == 200
    html = page.text
    assert '<dd class="entries">3</dd>' in html
    points = re.findall(r'<td class="score">([\d.]+)</td>', html)
    assert points == ["0.800", "0.600"], "improvements only: the worse 0.9 is no point"
    assert len(re.findall(r'<circle class="dot"', html)) == 2
    assert 'class="team-line"' in html and 'class="lead-ref"' in html
    assert all(p not in html for p in ("0.111", "0.333", "0.444")), "no private score"
    assert 'data-events="/api/v1/challenges/sea-temp/events"' in html, "it refreshes live"
    it = client.get(f"{PAGE}/teams/{teams[0]}?lang=it").text
    assert "Miglior punteggio pubblico nel tempo" in it and "0,600" in it
    empty = client.get(f"{PAGE}/teams/{teams[2]}?lang=en").text
    assert "This team has no public score yet." in empty
    assert client.get(f"{PAGE}/teams/999999").status_code == 404
    other_cid, _ = challenge(client, slug="other")
    stranger = team_for(client, other_cid, person(client, "x@example.org", "X"), "Altri")
    assert client.get(f"{PAGE}/teams/{stranger}").status_code == 404, "not a team of this one"
    with Session(engine_of(client)) as session:
        team = session.exec(select(Team).where(col(Team.id) == teams[1])).one()
        team.disqualified_reason = "copied"
        session.add(team)
        session.commit()
    assert client.get(f"{PAGE}/teams/{teams[1]}").status_code == 404


def test_the_history_chart_shares_one_padded_scale_and_holds_to_the_latest_moment() -> None:
    t0 = utcnow()
    team = [Point(t0, 0.8), Point(t0 + timedelta(hours=2), 0.6)]
    lead = [Point(t0 - timedelta(hours=1), 0.5), Point(t0 + timedelta(hours=5), 0.2)]
    words = HistoryWords("T", "D", "Delfini", "lead", "time", "RMSE")
    svg = str(render_history(team, lead, words=words, tick_time=lambda at: "x", tick_value=str))
    paths = dict(re.findall(r'<path class="([\w-]+)" fill="none" d="([^"]+)"', svg))
    assert set(paths) == {"team-line", "lead-ref"}
    for d in paths.values():
        xs = [float(x) for x in re.findall(r"[MH](-?[\d.]+)", d)]
        ys = [float(y) for y in re.findall(r"(?:V|,)(-?[\d.]+)", d)]
        assert xs[-1] == WIDTH - MARGIN_RIGHT, "each line holds to the latest moment shown"
        assert all(MARGIN_LEFT <= x <= WIDTH - MARGIN_RIGHT for x in xs)
        # padded: no value sits on the plot's top or bottom edge
        assert all(MARGIN_TOP < y < HEIGHT - MARGIN_BOTTOM for y in ys), ys
    assert svg.count('<circle class="dot"') == 2, "dots for the team's own steps only"
    empty = str(render_history([], lead, words=words, tick_time=str, tick_value=str))
    assert "<path" not in empty and "<desc" in empty and "D" in empty
