"""The judge's review page (scale, members), their read-only ranking, and each judge's progress."""

from __future__ import annotations

import re
from typing import Any, cast

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.challenges.models import Challenge
from tests.app.judges.test_judging import JUDGING, _post, _setup
from tests.app.web.web_helpers import BOARD, engine_of, team_for

NAMES = {
    "en": ["insufficient", "sufficient", "good", "very good", "excellent"],
    "it": ["insufficiente", "sufficiente", "buono", "molto buono", "eccellente"],
}


def _judging(site: TestClient, cid: int, **changes: Any) -> None:
    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.config = {**BOARD, "judging": {**JUDGING, **changes}}
        session.add(ch)
        session.commit()


def _radio(page: str, key: str, point: int) -> re.Match[str] | None:
    return re.search(
        rf'<label><input type="radio" name="rating_{key}" value="{point}" required( checked)?>'
        rf" {point}(?: · ([^<]*))?</label>",
        page,
    )


def _names(page: str, key: str, points: range) -> list[str | None]:
    """The name shown beside each point (None: the number alone); '-' where no radio is."""
    return [m.group(2) if (m := _radio(page, key, p)) else "-" for p in points]


def test_the_rating_is_a_row_of_named_points_grouped_per_criterion(site: TestClient) -> None:
    _cid, people, teams = _setup(site)
    org, judge = people["org"], people["judge"]
    assert _post(org, "/organise/sea-temp/judges", email=judge.email)[0] == 303
    path = f"/judge/sea-temp/teams/{teams['Delfini']}"

    for lang, names in NAMES.items():
        page = judge.client.get(f"{path}?lang={lang}").text
        assert page.count('<fieldset class="rating"') == 2  # one per criterion
        weight = "peso" if lang == "it" else "weight"
        assert f"<legend>Method ({weight} 3)</legend>" in page
        assert f"<legend>Use ({weight} 1)</legend>" in page
        for key in ("method", "use"):
            assert _names(page, key, range(1, 6)) == names
            assert not any(m and m.group(1) for m in (_radio(page, key, p) for p in range(6)))
        assert _radio(page, "method", 0) is None and _radio(page, "method", 6) is None
        assert 'type="number"' not in page

    assert _post(judge, path, rating_method="4", rating_use="2", comment="ok")[0] == 303
    saved = judge.client.get(f"{path}?saved=1&lang=en").text
    assert '<p class="notice" role="status">Your review is saved.</p>' in saved
    checked = {
        key: [p for p in range(1, 6) if (m := _radio(saved, key, p)) and m.group(1)]
        for key in ("method", "use")
    }
    assert checked == {"method": [4], "use": [2]}
    assert "Ritorna" not in saved  # the English page, not a mix
    italian = judge.client.get(f"{path}?saved=1&lang=it").text
    assert "La tua valutazione è salvata." in italian


def test_the_bundle_names_the_points_and_a_wide_scale_is_typed(site: TestClient) -> None:
    cid, people, teams = _setup(site)
    org, judge = people["org"], people["judge"]
    assert _post(org, "/organise/sea-temp/judges", email=judge.email)[0] == 303
    path = f"/judge/sea-temp/teams/{teams['Delfini']}"
    labels = [
        {"it": "assente", "en": "absent"},
        {"it": "debole", "en": "weak"},
        {"it": "solido", "en": "solid"},
    ]
    _judging(site, cid, scale={"min": 0, "max": 2, "labels": labels})
    for lang in ("it", "en"):
        page = judge.client.get(f"{path}?lang={lang}").text
        assert _names(page, "use", range(3)) == [label[lang] for label in labels]
    assert _post(judge, path, rating_method="0", rating_use="2")[0] == 303
    assert _post(judge, path, rating_method="3", rating_use="2")[0] == 422  # off the scale

    _judging(site, cid, scale={"min": 0, "max": 10})  # eleven points, no names: numbers only
    page = judge.client.get(f"{path}?lang=en").text
    assert _names(page, "use", range(11)) == [None] * 11

    _judging(site, cid, scale={"min": 0, "max": 100})  # too many to list: a number field
    page = judge.client.get(f"{path}?lang=en").text
    assert "<fieldset" not in page.split("Your review")[-1]
    assert re.search(r'<input id="rating-use" name="rating_use" type="number"[^>]* max="100"', page)


def test_the_review_page_shows_the_team_members(site: TestClient) -> None:
    _cid, people, teams = _setup(site)
    org, judge = people["org"], people["judge"]
    assert _post(org, "/organise/sea-temp/judges", email=judge.email)[0] == 303
    page = judge.client.get(f"/judge/sea-temp/teams/{teams['Delfini']}?lang=en").text
    members = page.split('<ul class="members"', 1)[1].split("</ul>", 1)[0]
    assert "<li>Ann (captain)</li>" in members
    assert "a@example.org" not in page  # names, never email addresses
    assert "Cy" not in members and "Insider" not in members
    italian = judge.client.get(f"/judge/sea-temp/teams/{teams['Delfini']}?lang=it").text
    assert "<li>Ann (capitano)</li>" in italian


def test_judges_of_the_challenge_read_the_ranking_and_nobody_else(site: TestClient) -> None:
    cid, people, teams = _setup(site)
    org, judge, ext, late = people["org"], people["judge"], people["ext"], people["late"]
    for who in (judge, late):
        assert _post(org, "/organise/sea-temp/judges", email=who.email)[0] == 303
    path = f"/judge/sea-temp/teams/{teams['Delfini']}"
    assert _post(judge, path, rating_method="5", rating_use="5")[0] == 303

    page = judge.client.get("/judge/sea-temp/ranking?lang=en")
    assert page.status_code == 200
    text = page.text
    main = text.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.index("Delfini") < main.index("Orche")
    assert f'id="ranked-{teams["Delfini"]}"' in main and "not reviewed" in main  # Orche
    assert "Read-only" in main
    assert "<form" not in main and "<button" not in main and "/organise/" not in main
    assert "Risultato" not in main
    assert "Sola lettura" in judge.client.get("/judge/sea-temp/ranking?lang=it").text
    assert re.search(
        r'href="[^"]*/judge/sea-temp/ranking"', judge.client.get("/judge/sea-temp").text
    )

    assert ext.client.get("/judge/sea-temp/ranking").status_code == 404  # judges elsewhere
    assert org.client.get("/judge/sea-temp/ranking").status_code == 404  # organisers: their own
    assert people["a"].client.get("/judge/sea-temp/ranking").status_code == 403
    team_for(site, cid, late, "Ritardatari")  # a judge who competes sees no standings
    refused = late.client.get("/judge/sea-temp/ranking")
    assert refused.status_code == 403 and "Delfini" not in refused.text
    ranking = org.client.get("/organise/sea-temp/ranking?lang=en").text
    assert "Read-only" not in ranking and re.search(
        r'href="[^"]*/organise/sea-temp/judges"', ranking
    )


def _progress_row(page: str, user_id: int) -> str:
    found = re.search(
        rf'<tr class="judge-progress" id="progress-{user_id}">(.*?)</tr>', page, flags=re.S
    )
    assert found is not None, page
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_organisers_see_what_each_judge_has_left_to_rate(site: TestClient) -> None:
    cid, people, teams = _setup(site)
    org, judge, ext, late = people["org"], people["judge"], people["ext"], people["late"]
    for who in (judge, ext, late):
        assert _post(org, "/organise/sea-temp/judges", email=who.email)[0] == 303
    page = org.client.get("/organise/sea-temp/judges?lang=en").text
    assert _progress_row(page, judge.user_id) == (
        "Judge 0 of 2 Delfini: not reviewed Orche: not reviewed"
    )

    delfini, orche = (f"/judge/sea-temp/teams/{teams[t]}" for t in ("Delfini", "Orche"))
    assert _post(judge, delfini, rating_method="2", rating_use="3")[0] == 303
    assert _post(judge, orche, rating_method="4", rating_use="3")[0] == 303
    assert _post(ext, orche, rating_method="1", rating_use="1")[0] == 303
    team_for(site, cid, late, "Ritardatari")  # joined a team after being assigned
    page = org.client.get("/organise/sea-temp/judges?lang=en").text
    assert _progress_row(page, judge.user_id) == "Judge 2 of 2 none: every finalist is rated"
    assert _progress_row(page, ext.user_id) == "Ext 1 of 2 Delfini: not reviewed"
    assert _progress_row(page, late.user_id) == (
        "Late in a team of this challenge: cannot judge it"
    )
    italian = org.client.get("/organise/sea-temp/judges?lang=it").text
    assert _progress_row(italian, ext.user_id) == "Ext 1 su 2 Delfini: non valutata"

    # A criterion added to the rubric after the reviews: every review lacks it now.
    rubric = cast(list[Any], JUDGING["rubric"])
    criteria = [*rubric, {"key": "data", "label": {"en": "Data"}, "weight": 1}]
    _judging(site, cid, rubric=criteria)
    page = org.client.get("/organise/sea-temp/judges?lang=en").text
    assert _progress_row(page, judge.user_id) == (
        "Judge 0 of 2 Delfini: not rated on Data Orche: not rated on Data"
    )
