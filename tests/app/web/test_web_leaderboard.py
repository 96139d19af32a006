"""The leaderboard page (equal ranks, precision, live hooks) and the leading-score chart."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utcnow
from app.leaderboard.chart import Frame, Point, leading_series, render_chart
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.submissions.models import Score, Status, Submission
from tests.app.web.web_helpers import BOARD, challenge, engine_of, person, team_for


def _scored(
    session: Session, phase_id: int, team_id: int, user_id: int, rmse: float, at: object
) -> None:
    s = Submission(
        challenge_id=1,
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
    session.add(s)
    session.flush()
    assert s.id is not None
    session.add(Score(submission_id=s.id, split="public", key="rmse", value=rmse))
    session.add(Score(submission_id=s.id, split="public", key="mae", value=rmse / 2))
    offer(
        session,
        BoardSpec.from_config(BOARD),
        phase_id=phase_id,
        team_id=team_id,
        split="public",
        submission_id=s.id,
        submitted_at=s.created_at,
        values={"rmse": rmse, "mae": rmse / 2},
    )


def test_board_page_shows_equal_ranks_precision_and_chart(client: TestClient) -> None:
    cid, pid = challenge(client)
    people = [person(client, f"p{i}@example.org", f"P{i}") for i in range(3)]
    teams = [team_for(client, cid, p, f"Team {i}") for i, p in enumerate(people)]
    t0 = utcnow() - timedelta(hours=5)
    with Session(engine_of(client)) as session:
        _scored(session, pid, teams[0], people[0].user_id, 0.5, t0)
        _scored(session, pid, teams[1], people[1].user_id, 0.3, t0 + timedelta(hours=1))
        _scored(session, pid, teams[2], people[2].user_id, 0.3, t0 + timedelta(hours=2))
        _scored(session, pid, teams[0], people[0].user_id, 0.4, t0 + timedelta(hours=3))
        session.commit()
        series = leading_series(session, BoardSpec.from_config(BOARD), pid)
    # Only improvements of the lead are points: a tie or a worse score adds nothing that would
    # tell readers a submission was judged.
    assert [p.value for p in series] == [0.5, 0.3]
    page = client.get("/challenges/sea-temp/leaderboard?lang=en")
    assert page.status_code == 200
    ranks = re.findall(r'<td class="rank">(\d+)</td>', page.text)
    assert ranks == ["1", "1", "3"], "equal scores share a rank"
    assert "0.300" in page.text and "0.15" in page.text, "each column keeps its precision"
    assert 'data-events="/api/v1/challenges/sea-temp/events"' in page.text
    assert "leaderboard.js" in page.text and "<svg" in page.text and "<title" in page.text
    assert client.get("/challenges/sea-temp/leaderboard?split=private").status_code == 403
    assert client.get("/challenges/nope/leaderboard").status_code == 404


def test_chart_path_steps_through_the_leading_scores() -> None:
    t0 = utcnow()
    points = [
        Point(t0, 0.9),
        Point(t0 + timedelta(hours=1), 0.6),
        Point(t0 + timedelta(hours=4), 0.6),
        Point(t0 + timedelta(hours=6), 0.2),
    ]
    svg = str(render_chart(points, label="RMSE", better="lower", precision=2))
    assert svg.startswith("<svg") and "<desc" in svg and "RMSE" in svg
    d = re.search(r'class="lead" fill="none" d="([^"]+)"', svg)
    assert d
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d.group(1))]
    frame = Frame.around(points)
    expected = [frame.x(points[0].at), frame.y(points[0].value)]
    for p in points[1:]:
        expected += [frame.x(p.at), frame.y(p.value)]
    assert numbers == expected
    ys = numbers[1::2]
    assert ys[1] > ys[0] and ys[3] > ys[2], "a smaller value sits lower (larger y in SVG)"
    assert ys[1] == ys[2], "the lead holds flat until it changes"


def test_the_board_page_comes_in_pages_and_finds_my_team(client: TestClient) -> None:
    cid, pid = challenge(client)
    people = [person(client, f"q{i}@example.org", f"Q{i}") for i in range(5)]
    teams = [team_for(client, cid, p, f"Squadra {i}") for i, p in enumerate(people)]
    t0 = utcnow() - timedelta(hours=5)
    with Session(engine_of(client)) as session:
        for i, (p, team) in enumerate(zip(people, teams, strict=True)):
            _scored(session, pid, team, p.user_id, 0.1 * (i + 1), t0 + timedelta(minutes=i))
        session.commit()

    def names(html: str) -> list[str]:
        return re.findall(r'<td class="team"><a [^>]+>(Squadra \d)</a>', html)

    page = client.get("/challenges/sea-temp/leaderboard?lang=en&limit=2&offset=2").text
    assert names(page) == ["Squadra 2", "Squadra 3"]
    assert "Rows 3–4 of 5" in page
    assert "offset=0&amp;limit=2" in page and "offset=4&amp;limit=2" in page  # previous, next
    assert 'data-json="/api/v1/challenges/sea-temp/leaderboard?phase=' in page
    assert "offset=2&amp;limit=2" in page, "the live refresh fetches the same page"
    italian = client.get("/challenges/sea-temp/leaderboard?lang=it&limit=2").text
    assert "Righe 1–2 di 5" in italian
    # Scores take the reader's decimal mark; the submission time is Rome's, UTC on hover.
    assert re.search(r'<td class="score">0,\d+</td>', italian)
    assert re.search(r'<td class="score">0\.\d+</td>', page)
    assert re.search(r'<time datetime="[-\dT:.]+Z" title="[-\d :]+ UTC">\d+ \w+ \d{4}, ', italian)
    # A member finds their own team, marked, with the rows around it.
    mine = people[4].client.get("/challenges/sea-temp/leaderboard?lang=en&limit=2").text
    assert f"around={teams[4]}" in mine and "Around my team" in mine
    around = people[4].client.get(f"/challenges/sea-temp/leaderboard?around={teams[4]}").text
    assert names(around) == [f"Squadra {i}" for i in range(5)]
    assert re.search(
        r'<tr class="mine" aria-current="true"[^>]*>\s*<td class="rank">5</td>', around
    )
    assert client.get("/challenges/sea-temp/leaderboard?around=999999").status_code == 404
