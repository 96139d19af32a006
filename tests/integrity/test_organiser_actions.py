"""No cache outlives an organiser action that changes who may see what.

Issue 11, class 4 (and 11 for the frozen board). Every action is taken through
one web process while every audience reads through both, after each process
has cached everything it can (boards per split and audience, the challenge's
state, open live streams). The first read after the action must already be
the new truth, on the other process too: no stale board while one is rebuilt,
no permission checked inside a cached rebuild. Undoing the action must give
back exactly the bytes from before.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app.accounts.models import Role
from app.bundles.load import LoadOutcome, load_into_db
from app.core.runtime import open_runtime
from app.rescoring.models import RescoreSet, SetStatus
from app.submissions.models import Submission
from tests.integrity.world import Contest, Person, Stream, running_contest

REDIS_DB = 6
AUDIENCES = ("anonymous", "participant", "staff")


@dataclass
class Scene:
    contest: Contest
    org: Person
    ann: Person
    tom: Person
    late_at: str  # just before Tonni's best submission: a freeze there hides it
    clients: dict[str, httpx.Client]  # one per audience, keeping its cookies like a browser


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    tmp = tmp_path_factory.mktemp("actions")
    with running_contest(tmp, REDIS_DB) as contest:
        org = contest.person("Org", Role.organiser)
        ann = contest.person("Ann")
        tom = contest.person("Tom")
        contest.team(ann, "Osservatori")
        contest.team(tom, "Tonni")
        contest.submit(ann, 0.5, 0.5)
        contest.submit(tom, 1.0, 1.0)
        time.sleep(1.1)  # the freeze below falls between these two submissions
        best = contest.submit(tom, 0.2, 0.9)
        with Session(contest.engine()) as session:
            row = session.get(Submission, best)
            assert row is not None
            late_at = (row.created_at - timedelta(seconds=0.5)).isoformat()
        clients = {
            "anonymous": httpx.Client(timeout=30),
            "participant": httpx.Client(headers=ann.bearer(), timeout=30),
            "staff": httpx.Client(headers=org.bearer(), timeout=30),
        }
        yield Scene(contest, org, ann, tom, late_at, clients)
        for client in clients.values():
            client.close()


Reading = dict[tuple[str, str, str], tuple[int, bytes]]  # (process, audience, channel)


def _read_all(scene: Scene) -> Reading:
    """Every audience through every process: the boards (both splits) and the challenge."""
    c = scene.contest
    seen: Reading = {}
    for web in c.web:
        for audience in AUDIENCES:
            api = scene.clients[audience]  # API tokens (none for the anonymous)
            person = {"participant": scene.ann, "staff": scene.org}.get(audience)
            page = person.browser(web) if person is not None else api  # pages need a browser
            for channel, client, path in (
                ("public", api, f"/api/v1/challenges/{c.slug}/leaderboard"),
                ("private", api, f"/api/v1/challenges/{c.slug}/leaderboard?split=private"),
                ("challenge", api, f"/api/v1/challenges/{c.slug}"),
                ("page", page, f"/challenges/{c.slug}/leaderboard?lang=en"),
            ):
                answer = client.get(web.url + path)
                seen[(web.url, audience, channel)] = (answer.status_code, answer.content)
    return seen


def _diff(old: bytes, new: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(old, new, strict=False)) if x != y), len(old))
    return f"{old[max(0, at - 80) : at + 80]!r} -> {new[max(0, at - 80) : at + 80]!r}"


def _rows(body: bytes) -> list[str]:
    return [row["team"]["name"] for row in json.loads(body)["rows"]]


def _streams(scene: Scene) -> list[Stream]:
    c = scene.contest
    return [Stream(web.url + f"/api/v1/challenges/{c.slug}/events", {}).start() for web in c.web]


def _told(streams: list[Stream], marks: list[int]) -> None:
    """Every open stream is told the boards may have changed (phase_id null)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if all(
            'data: {"phase_id": null}' in s.events_since(m)
            for s, m in zip(streams, marks, strict=True)
        ):
            return
        time.sleep(0.05)
    raise AssertionError([s.events_since(m) for s, m in zip(streams, marks, strict=True)])


def _unpublished(scene: Scene, before: Reading, after: Reading) -> None:
    for (_, _, channel), (status, _) in after.items():
        assert status == 404, (channel, status)


def _revealed(scene: Scene, before: Reading, after: Reading) -> None:
    for key, (status, body) in after.items():
        if key[2] == "private":
            assert before[key][0] == 403 and status == 200, key
            assert _rows(body), key


def _frozen(scene: Scene, before: Reading, after: Reading) -> None:
    for key, (status, body) in after.items():
        if key[2] != "public":
            continue
        _, audience, _ = key
        assert status == 200
        if audience == "staff":
            assert body == before[key][1], "staff keep the live board"
        else:
            assert _rows(before[key][1]) == ["Tonni", "Osservatori"]
            assert _rows(body) == ["Osservatori", "Tonni"], (key, "the board as it froze")


def _disqualified(scene: Scene, before: Reading, after: Reading) -> None:
    for key, (status, body) in after.items():
        if key[2] == "public":
            assert status == 200 and _rows(body) == ["Osservatori"], key


@dataclass(frozen=True)
class Action:
    name: str
    do: Callable[[Scene], None]
    undo: Callable[[Scene], None]
    check: Callable[[Scene, Reading, Reading], None]


def _team_action(verb: str, **form: str) -> Callable[[Scene], None]:
    def act(scene: Scene) -> None:
        team = scene.contest.team_id("Tonni")
        scene.contest.organiser_action(scene.org, f"teams/{team}/{verb}", **form)

    return act


ACTIONS = [
    Action(
        "unpublish",
        lambda s: s.contest.organiser_action(s.org, "unpublish"),
        lambda s: s.contest.organiser_action(s.org, "publish"),
        _unpublished,
    ),
    Action(
        "reveal",
        lambda s: s.contest.organiser_action(s.org, "reveal", confirm="yes", early="yes"),
        lambda s: s.contest.organiser_action(s.org, "hide-private"),
        _revealed,
    ),
    Action(
        "freeze",
        lambda s: s.contest.organiser_action(s.org, "freeze", at=s.late_at),
        lambda s: s.contest.organiser_action(s.org, "unfreeze"),
        _frozen,
    ),
    Action(
        "disqualify",
        _team_action("disqualify", reason="shared code with another team"),
        _team_action("reinstate"),
        _disqualified,
    ),
]


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_every_cache_follows_an_organiser_action_at_once(scene: Scene, action: Action) -> None:
    before = _read_all(scene)
    _read_all(scene)  # everything each process can cache is cached now
    streams = _streams(scene)
    marks = [s.mark() for s in streams]
    action.do(scene)
    _told(streams, marks)
    action.check(scene, before, _read_all(scene))
    marks = [s.mark() for s in streams]
    action.undo(scene)
    if action.name == "unpublish":
        time.sleep(0.6)  # streams of an unpublished challenge ended; nobody to tell
    else:
        _told(streams, marks)
    again = _read_all(scene)
    changed = {k: _diff(before[k][1], again[k][1]) for k in before if before[k] != again[k]}
    assert not changed, f"undoing {action.name} did not give the same bytes back: {changed}"
    for stream in streams:
        stream.close()


def test_an_applied_rescore_replaces_every_cached_board(scene: Scene, tmp_path: Path) -> None:
    """Corrected answers, the phase judged again, the set applied: every board shows it."""
    c = scene.contest
    before = _read_all(scene)
    bundle = tmp_path / "bundle"
    shutil.copytree(c.work / "bundle", bundle)
    answers = bundle / "reference" / "answers.csv"
    lines = answers.read_text().splitlines()
    shifted = [lines[0]] + [
        ",".join([i, f"{float(v) + 0.5:.6f}", s]) for i, v, s in (ln.split(",") for ln in lines[1:])
    ]
    answers.write_text("\n".join(shifted) + "\n")  # every answer 0.5 higher: Osservatori now lead
    outcome = load_into_db(open_runtime(c.settings), bundle)
    assert isinstance(outcome, LoadOutcome) and outcome.action == "updated"
    answer = scene.org.post_form(c.a, f"/organise/{c.slug}/rescores", phase="development")
    assert answer.status_code == 303, answer.text[-2000:]
    set_id = int(answer.headers["location"].rstrip("/").rsplit("/", 1)[1])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with Session(c.engine()) as session:
            rescore = session.exec(select(RescoreSet).where(RescoreSet.id == set_id)).one()
            if rescore.status == SetStatus.ready:
                break
        time.sleep(0.2)
    else:
        pytest.fail(f"the rescore set was not judged:\n{c.log.read_text()[-3000:]}")
    streams = _streams(scene)
    marks = [s.mark() for s in streams]
    warm = _read_all(scene)
    assert warm == before, "judging again changes nothing until the set is applied"
    c.organiser_action(scene.org, f"rescores/{set_id}/apply")
    _told(streams, marks)
    after = _read_all(scene)
    for key, (status, body) in after.items():
        if key[2] == "public":
            assert status == 200 and _rows(body) == ["Osservatori", "Tonni"], key
    for stream in streams:
        stream.close()
