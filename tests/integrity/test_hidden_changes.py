"""Before the reveal, nothing a participant can observe depends on hidden scores.

Issue 11, classes 1 and 14. For each audience (anonymous, a participant of
another team by browser session and by API token, on each of two web
processes) and each board state (live, frozen), every channel the audience can
reach is read before and after a *hidden* change, and must be identical byte
for byte, headers and sizes included; the live streams opened before must
receive nothing for it, and their keep-alives must keep their schedule. The
hidden changes are real submissions judged by the real worker:

- live: a team's private score improves while its public score stays the same;
- frozen: a team's public (and private) score improves after the freeze.

A visible change follows each, so the same readers are shown to notice what
they may see (a test that could not fail would prove nothing).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

import httpx
from sqlmodel import Session

from app.accounts.models import Role
from app.api.challenges import build_board
from app.leaderboard.boards import LIVE
from app.live.events import challenge_channel, publish
from tests.integrity.world import (
    Contest,
    Observer,
    Person,
    Seen,
    Stream,
    board_channels,
    differences,
    running_contest,
    team_channels,
)

REDIS_DB = 7


def _cookie_header(browser: httpx.Client) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}


def _audiences(contest: Contest, ann: Person) -> list[Observer]:
    """Who must learn nothing: strangers and another team, through every web process."""
    observers = []
    for web in contest.web:
        anonymous = httpx.Client(timeout=30)
        token = httpx.Client(headers=ann.bearer(), timeout=30)
        browser = ann.browser(web)
        observers += [
            Observer(f"anonymous@{web.url}", board_channels(contest, web, anonymous)),
            Observer(
                f"ann-token@{web.url}",  # a token reads the API; pages need a browser
                {
                    k: v
                    for k, v in board_channels(contest, web, token).items()
                    if k.startswith("api")
                },
            ),
            Observer(
                f"ann-browser@{web.url}",
                {
                    **board_channels(contest, web, browser),
                    **team_channels(contest, web, ann),
                },
            ),
        ]
    return observers


def _streams(contest: Contest, ann: Person) -> dict[str, Stream]:
    path = f"/api/v1/challenges/{contest.slug}/events"
    streams = {}
    for web in contest.web:
        streams[f"anonymous@{web.url}"] = Stream(web.url + path, {})
        streams[f"ann-token@{web.url}"] = Stream(web.url + path, ann.bearer())
        streams[f"ann-browser@{web.url}"] = Stream(web.url + path, _cookie_header(ann.browser(web)))
    for stream in streams.values():
        stream.start()
    return streams


# The board page's entries and last-submission cells (issue 14) count a team's scored
# submissions: a new one shows there whatever its scores, so a submission that moves no public
# score is still seen to exist. What it scored on the hidden part must not show anywhere else.
ACTIVITY = re.compile(rb'<td class="(?:entries|last)">.*?</td>')


def _without_activity(seen: dict[str, Seen]) -> dict[str, Seen]:
    return {
        name: replace(
            view,
            body=ACTIVITY.sub(b"<td>#</td>", view.body),
            headers=tuple(h for h in view.headers if h[0] != "content-length"),
        )
        if name.startswith("board page")
        else view
        for name, view in seen.items()
    }


def _assert_unchanged(
    observers: list[Observer],
    before: dict[str, dict[str, object]],
    what: str,
    *,
    counted: bool = False,
) -> None:
    """`counted`: the change is a new scored submission, which the board page counts."""
    for observer in observers:
        after = observer.snapshot()
        old = before[observer.name]
        if counted:
            old, after = _without_activity(old), _without_activity(after)  # type: ignore[arg-type]
        changed = differences(old, after)  # type: ignore[arg-type]
        assert not changed, f"{observer.name} learned of {what}: {changed}"


def _read(client: httpx.Client, url: str) -> bytes:
    """The board as it stands: read twice, since a cache hands out its last version once
    while it rebuilds."""
    client.get(url)
    return client.get(url).content


def _board_events(stream: Stream, mark: int) -> list[str]:
    return [line for line in stream.events_since(mark) if line == "event: board"]


def test_hidden_scores_change_nothing_any_participant_can_observe(tmp_path: Path) -> None:
    with running_contest(tmp_path, REDIS_DB) as contest:
        org = contest.person("Org", Role.organiser)
        ann = contest.person("Ann")
        tom = contest.person("Tom")
        contest.team(ann, "Osservatori")
        contest.team(tom, "Tonni")
        contest.submit(ann, 0.5, 0.5)
        contest.submit(tom, 1.0, 1.0)
        observers = _audiences(contest, ann)
        streams = _streams(contest, ann)
        staff = httpx.Client(headers=org.bearer(), timeout=30)
        board_url = f"{contest.b.url}/api/v1/challenges/{contest.slug}/leaderboard"
        contest.settle()
        for observer in observers:
            observer.snapshot()  # once first: one-time notices ("team created") are read now

        # --- live board: Tonni's private score improves, its public one does not move ---
        before = {o.name: o.snapshot() for o in observers}
        marks = {name: s.mark() for name, s in streams.items()}
        staff_before = _read(staff, board_url)
        contest.submit(tom, 1.0, 0.1)
        contest.settle()
        _assert_unchanged(observers, before, "a private score", counted=True)  # type: ignore[arg-type]
        for name, stream in streams.items():
            assert not _board_events(stream, marks[name]), f"{name} heard a private score"
        assert _read(staff, board_url) == staff_before, "the public board itself moved"

        # Visible: Tonni's public score improves; every reader sees it and hears of it.
        marks = {name: s.mark() for name, s in streams.items()}
        contest.submit(tom, 0.2, 1.0)
        contest.settle()
        for observer in observers:
            changed = differences(before[observer.name], observer.snapshot())
            assert any(c.startswith("api board") for c in changed), observer.name
        for name, stream in streams.items():
            heard = stream.events_since(marks[name])
            assert "event: board" in heard, f"{name} missed a public score: {heard}"
            data = [json.loads(line[5:]) for line in heard if line.startswith("data:")]
            assert {"phase_id": contest.phase_id, "split": "public"} in data, data
        # Each process moved one row of its cached board: the same board a rebuild gives.
        with Session(contest.engine()) as session:
            rebuilt = build_board(session, contest.challenge_id, contest.phase_id, "public", LIVE)
        for web in contest.web:
            url = f"{web.url}/api/v1/challenges/{contest.slug}/leaderboard"
            assert httpx.get(url).content == rebuilt.body(), web.url

        # --- frozen board: a later public improvement is hidden from participants ---
        contest.organiser_action(org, "freeze")
        contest.settle()
        before = {o.name: o.snapshot() for o in observers}
        marks = {name: s.mark() for name, s in streams.items()}
        staff_before = _read(staff, board_url)
        contest.submit(tom, 0.05, 0.05)
        contest.settle()
        _assert_unchanged(observers, before, "a score after the freeze")  # type: ignore[arg-type]
        for name, stream in streams.items():
            assert not _board_events(stream, marks[name]), f"{name} heard a frozen-out score"
        # Staff see the live board, which did move: the change was real.
        assert _read(staff, board_url) != staff_before

        for stream in streams.values():
            stream.close()
        staff.close()


def test_keepalives_keep_their_schedule_whatever_is_held_back(tmp_path: Path) -> None:
    """A timer restarted by every event would fall silent while hidden events stream past."""
    with running_contest(tmp_path, REDIS_DB) as contest:
        ann = contest.person("Ann")
        contest.team(ann, "Osservatori")
        path = f"/api/v1/challenges/{contest.slug}/events"
        stream = Stream(contest.a.url + path, ann.bearer()).start()
        interval = contest.settings.sse_keepalive_s
        started = time.monotonic()
        # Private-only scores, as the worker publishes them, every third of an interval.
        while time.monotonic() - started < 4 * interval:
            publish(
                contest.redis,
                [challenge_channel(contest.challenge_id)],
                {
                    "type": "submission",
                    "status": "scored",
                    "phase_id": contest.phase_id,
                    "boards": ["private"],
                    "submitted_at": "2026-01-01T00:00:00+00:00",
                },
            )
            time.sleep(interval / 3)
        ended = time.monotonic()
        stream.close()
        assert not _board_events(stream, 0), "a private score reached a participant's stream"
        ticks = stream.keepalives_between(started, ended)
        assert len(ticks) >= 3, f"keep-alives stopped while hidden events passed: {ticks}"
        offsets = [(at - stream.opened_at) % interval for at in ticks]
        # On the stream's own schedule: each tick lands near a whole number of intervals.
        assert all(min(o, interval - o) < interval / 3 for o in offsets), offsets
