"""Pages show the challenge's clock in the reader's words; machines still get UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from jinja2 import Environment

from app.i18n.catalogs import Catalogs
from app.i18n.jinja import install_gettext
from app.text.timefmt import decimal, local_time, time_left

WINTER = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)  # CET: 18:00 in Rome
SUMMER = datetime(2027, 7, 1, 16, 0, tzinfo=UTC)  # CEST: 18:00 in Rome


def test_local_time_in_italian_and_english_keeps_utc_for_machines() -> None:
    italian = local_time(WINTER, "it")
    assert italian == (
        '<time datetime="2027-03-01T17:00:00Z" title="2027-03-01 17:00 UTC">'
        "1 marzo 2027, 18:00</time>"
    )
    assert ">1 March 2027, 18:00</time>" in local_time(WINTER, "en")


def test_summer_time_moves_the_local_hour_not_the_utc_one() -> None:
    summer = local_time(SUMMER, "it")
    assert ">1 luglio 2027, 18:00</time>" in summer
    assert 'title="2027-07-01 16:00 UTC"' in summer
    # The night the clocks go forward: 00:59 UTC is 01:59 CET, 01:00 UTC is 03:00 CEST.
    assert "28 marzo 2027, 01:59" in local_time(datetime(2027, 3, 28, 0, 59, tzinfo=UTC), "it")
    assert "28 marzo 2027, 03:00" in local_time(datetime(2027, 3, 28, 1, 0, tzinfo=UTC), "it")


def test_another_zone_naive_values_and_unknown_zones() -> None:
    assert "1 March 2027, 12:00" in local_time(WINTER, "en", "America/New_York")
    naive = WINTER.replace(tzinfo=None)  # as SQLite returns it: UTC without the label
    assert local_time(naive, "it") == local_time(WINTER, "it")
    assert local_time(WINTER, "it", "Not/AZone") == local_time(WINTER, "it")
    assert local_time(None, "it") == ""


def test_time_left_in_words_of_each_language() -> None:
    assert time_left(WINTER + timedelta(days=3, hours=4), WINTER, "it") == "3 giorni 4 ore"
    assert time_left(WINTER + timedelta(days=3, hours=4), WINTER, "en") == "3 days 4 hours"
    assert time_left(WINTER + timedelta(days=1, hours=1), WINTER, "it") == "1 giorno 1 ora"
    assert time_left(WINTER + timedelta(days=2), WINTER, "en") == "2 days"
    assert time_left(WINTER + timedelta(hours=2, minutes=5), WINTER, "it") == "2 ore 5 min"
    assert time_left(WINTER + timedelta(minutes=12), WINTER, "it") == "12 min"
    assert time_left(WINTER + timedelta(seconds=20), WINTER, "en") == "1 min"
    assert time_left(WINTER, WINTER, "it") == ""


def test_scores_take_the_reader_decimal_mark() -> None:
    assert decimal(0.5, 3, "it") == "0,500"
    assert decimal(0.5, 3, "en") == "0.500"
    assert decimal(1234.5678, 2, "it") == "1234,57"
    assert decimal(7, 0, "en") == "7"


def _env() -> Environment:
    env = Environment(autoescape=True)
    install_gettext(env, Catalogs(), "en")
    return env


def test_the_filters_read_the_page_language_and_the_challenge_zone() -> None:
    env = _env()
    page = env.from_string("{{ at | when }} {{ score | decimal(2) }}")
    challenge = SimpleNamespace(config={"time_zone": "Europe/London"})
    italian = page.render(lang="it", at=WINTER, score=0.25, challenge=challenge)
    assert ">1 marzo 2027, 17:00</time> 0,25" in italian
    english = page.render(lang="en", at=WINTER, score=0.25)
    assert ">1 March 2027, 18:00</time> 0.25" in english  # default zone: Rome
    view = SimpleNamespace(challenge=SimpleNamespace(config={"time_zone": "Asia/Tokyo"}))
    assert "2 marzo 2027, 02:00" in page.render(lang="it", at=WINTER, score=1, view=view)
    left = env.from_string("{{ end | time_left(now) }}")
    end = WINTER + timedelta(days=3, hours=4)
    assert left.render(lang="it", end=end, now=WINTER) == "3 giorni 4 ore"


def test_the_when_filter_is_not_double_escaped_and_escapes_what_it_holds() -> None:
    html = _env().from_string("{{ at | when }}").render(lang="en", at=WINTER)
    assert html.startswith('<time datetime="2027-03-01T17:00:00Z"')
    assert "&lt;" not in html
