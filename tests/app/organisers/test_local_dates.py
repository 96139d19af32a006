"""Phase dates and the freeze time are typed in the challenge's time zone, not UTC.

A datetime-local input has no zone: the form names the challenge's zone, the route reads
the wall time in it, and the page shows each stored moment back as the same wall time, so
saving an unchanged form changes nothing, also across the hours the clocks change.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.challenges.models import Challenge, Phase
from app.core.refusal import Refusal
from app.organisers.service import form_value, parse_when
from tests.app.web.web_helpers import Person, challenge, engine_of, person, phase_of

NEW_YORK = "America/New_York"


@pytest.mark.unit
@pytest.mark.parametrize("zone", ["Europe/Rome", NEW_YORK, "Australia/Lord_Howe", "UTC"])
def test_every_quarter_hour_across_both_clock_changes_round_trips(zone: str) -> None:
    """Each moment shown as (wall time, fold) parses back to itself, through a whole year's
    changes (Lord Howe moves by half an hour, the others by an hour)."""
    for start in (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC)):
        for step in range(4 * 24 * 10):  # ten days around each change, every 15 minutes
            moment = start + timedelta(minutes=15 * step)
            text, fold = form_value(moment, zone)
            assert parse_when(text, zone, fold) == moment, (zone, moment, text, fold)


@pytest.mark.unit
def test_wall_times_the_clocks_skip_are_refused_and_repeated_ones_take_the_fold() -> None:
    skipped = parse_when("2027-03-28T02:30", "Europe/Rome")
    assert isinstance(skipped, Refusal) and skipped.code == "skipped_time"
    assert "Europe/Rome" in skipped.message
    assert parse_when("2027-10-31T02:30", "Europe/Rome") == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )
    assert parse_when("2027-10-31T02:30", "Europe/Rome", 1) == datetime(
        2027, 10, 31, 1, 30, tzinfo=UTC
    )
    assert parse_when("2027-07-01T12:00", "Europe/Rome") == datetime(2027, 7, 1, 10, tzinfo=UTC)
    assert parse_when("2027-07-01T12:00Z", "Europe/Rome") == datetime(2027, 7, 1, 12, tzinfo=UTC)
    assert parse_when("2027-07-01T12:00+05:00", None) == datetime(2027, 7, 1, 7, tzinfo=UTC)
    assert isinstance(parse_when("next tuesday", "Europe/Rome"), Refusal)


def _in_new_york(site: TestClient) -> tuple[int, int, Person]:
    cid, pid = challenge(site)
    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None
        ch.config = {**ch.config, "time_zone": NEW_YORK}
        session.add(ch)
        session.commit()
    return cid, pid, person(site, "org@example.org", "Org", Role.organiser)


def _form(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def test_unchanged_phase_form_keeps_both_moments_of_the_repeated_hour(site: TestClient) -> None:
    """01:30 comes twice in New York on 1 November 2026; a phase from the first to the
    second is saved back unchanged, not refused as ending when it starts."""
    _cid, pid, org = _in_new_york(site)
    first, second = (
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    )
    with Session(engine_of(site)) as session:
        phase = session.get(Phase, pid)
        assert phase is not None
        phase.start, phase.end = first, second
        session.add(phase)
        session.commit()
    page = org.client.get("/organise/sea-temp?lang=en").text
    assert "America/New_York" in page
    form = page[page.index('class="phase-dates"') :]
    assert _form(form, "start") == _form(form, "end") == "2026-11-01T01:30"
    assert (_form(form, "start_fold"), _form(form, "end_fold")) == ("0", "1")
    data = {k: _form(form, k) for k in ("start", "end", "start_fold", "end_fold")}
    token = org.csrf("/organise/sea-temp")
    saved = org.client.post(
        "/organise/sea-temp/phases/development",
        data={**data, "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    moved = phase_of(site, pid)
    assert (moved.start, moved.end) == (first, second)

    # A summer date typed on the form is New York's (UTC-4), not UTC.
    data = {"start": "2026-06-01T09:00", "end": "2026-06-30T18:00", "csrf_token": token}
    answer = org.client.post(
        "/organise/sea-temp/phases/development", data=data, follow_redirects=False
    )
    assert answer.status_code == 303
    moved = phase_of(site, pid)
    assert moved.start == datetime(2026, 6, 1, 13, tzinfo=UTC)
    assert moved.end == datetime(2026, 6, 30, 22, tzinfo=UTC)


def test_a_skipped_time_is_refused_in_the_readers_language(site: TestClient) -> None:
    _cid, pid, org = _in_new_york(site)
    before = phase_of(site, pid)
    token = org.csrf("/organise/sea-temp")
    for lang, words in (("it", "non esiste nel fuso America/New_York"), ("en", "does not exist")):
        answer = org.client.post(
            f"/organise/sea-temp/phases/development?lang={lang}",
            data={"start": "2027-03-14T02:30", "end": "2027-04-01T10:00", "csrf_token": token},
        )
        assert answer.status_code == 422 and words in answer.text
    after = phase_of(site, pid)
    assert (after.start, after.end) == (before.start, before.end)


def test_freeze_time_is_the_challenges_wall_time(site: TestClient) -> None:
    cid, _pid, org = _in_new_york(site)
    page = org.client.get("/organise/sea-temp?lang=it").text
    assert "Congela alle (ora di America/New_York" in page
    token = org.csrf("/organise/sea-temp")
    answer = org.client.post(
        "/organise/sea-temp/freeze",
        data={"at": "2026-12-06T20:15", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with Session(engine_of(site)) as session:
        ch = session.get(Challenge, cid)
        assert ch is not None and ch.frozen_at == datetime(2026, 12, 7, 1, 15, tzinfo=UTC)
