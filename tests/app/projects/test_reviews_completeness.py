"""The organisers' completeness table: per judge and per project, assigned and reviewed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.app.projects.review_helpers import ORGANISE, K, pairs, post, track
from tests.app.projects_only.project_helpers import SLUG


def _cells(page: str, row_id: str) -> tuple[str, str]:
    row = page.split(f'id="{row_id}"', 1)[1].split("</tr>", 1)[0]
    assigned = re.search(r'<td class="assigned">(\d+)</td>', row)
    reviewed = re.search(r'<td class="reviewed">(\d+)</td>', row)
    assert assigned and reviewed, row
    return assigned.group(1), reviewed.group(1)


def test_completeness_counts_assigned_and_complete_reviews(client: TestClient) -> None:
    t = track(client, judges=2, teams=("Alfa", "Beta"))
    assert post(t.org, f"{ORGANISE}/assign")[0] == 303
    assert len(pairs(client, t.challenge_id)) == 2 * K  # two judges, k = 2: both review both
    j0, j1 = t.judges
    alfa, beta = t.teams["Alfa"], t.teams["Beta"]
    page = t.org.client.get(f"{ORGANISE}?lang=en").text
    assert _cells(page, f"load-{j0.user_id}") == ("2", "0")
    assert _cells(page, f"coverage-{alfa}") == ("2", "0")
    assert '<td class="wanted">2</td>' in page

    full = {"rating_impact": "5", "rating_feasibility": "4"}
    assert post(j0, f"/judge/{SLUG}/teams/{alfa}", **full)[0] == 303
    assert post(j0, f"/judge/{SLUG}/teams/{beta}", **full)[0] == 303
    assert post(j1, f"/judge/{SLUG}/teams/{alfa}", **full)[0] == 303
    page = t.org.client.get(f"{ORGANISE}?lang=en").text
    assert _cells(page, f"load-{j0.user_id}") == ("2", "2")
    assert _cells(page, f"load-{j1.user_id}") == ("2", "1")
    assert _cells(page, f"coverage-{alfa}") == ("2", "2")
    assert _cells(page, f"coverage-{beta}") == ("2", "1")
    # One bar per judge: the load against the largest, the reviews against the load.
    assert page.count('<meter class="load"') == 2
    assert '<progress max="2" value="1"' in page
    assert "style=" not in page.split("<h1>", 1)[1]  # CSS from the site's sheet only
