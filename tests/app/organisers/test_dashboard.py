"""The dashboard page and /metrics: the exposition parses and its numbers match the database."""

from __future__ import annotations

import json
import re

import redis
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Role
from app.core.hosts import read_worker_health
from app.core.settings import Settings
from app.organisers.dashboard import registered_users, turnout
from app.queue.connection import judge_queue
from tests.app.organisers.org_helpers import queued_submission
from tests.app.web.web_helpers import challenge, engine_of, person, team_for

SAMPLE = re.compile(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$")


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """A strict reader of the text format: every sample's family has HELP and TYPE before it."""
    described: set[str] = set()
    typed: set[str] = set()
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            described.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert kind in {"gauge", "counter"}
            typed.add(name)
        else:
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.groups()
            assert name in described and name in typed, f"{name} has no HELP/TYPE"
            pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
            samples[(name, pairs)] = float(value)
    return samples


def _seed(site: TestClient) -> None:
    cid, _pid = challenge(site)
    owner = person(site, "owner@example.org", "Owner")
    team = team_for(site, cid, owner, "Delfini")
    for status in ("queued", "queued", "running", "failed", "scored"):
        queued_submission(site, team, owner.user_id, status=status)


def test_metrics_text_parses_and_matches_the_database(
    site: TestClient, web_settings: Settings, redis_15: redis.Redis
) -> None:
    _seed(site)
    assert site.get("/metrics").status_code == 403  # no token: only 127.0.0.1/::1 may read
    web_settings.metrics_token = "s3cret"
    assert site.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    redis_15.set(
        "marea:workers:test-host-metrics",
        json.dumps(
            {
                "host": "test-host-metrics",
                "healthy": False,
                "message": "docker down",
                "processes": 2,
                "at": 0,
            }
        ),
        ex=60,
    )
    response = site.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.text)
    for status, count in {
        "queued": 2,
        "running": 1,
        "failed": 1,
        "scored": 1,
        "cancelled": 0,
    }.items():
        assert samples[("marea_submissions", frozenset({("status", status)}))] == count
    in_redis = judge_queue(web_settings, redis_15).count
    assert samples[("marea_queue_length", frozenset())] == 2 + in_redis
    workers = read_worker_health(redis_15)
    unhealthy = sum(1 for w in workers if not w["healthy"])
    assert samples[("marea_workers", frozenset({("healthy", "false")}))] == unhealthy >= 1
    phase_key = frozenset({("challenge", "sea-temp"), ("phase", "development")})
    assert samples[("marea_submissions_total", phase_key)] == 5
    redis_15.delete("marea:workers:test-host-metrics")


def test_metrics_are_open_from_localhost_without_a_token(site: TestClient) -> None:
    local = TestClient(site.app, client=("127.0.0.1", 40000))
    response = local.get("/metrics")
    assert response.status_code == 200
    assert ("marea_redis_up", frozenset()) in parse(response.text)


def test_dashboard_shows_the_figures_and_a_chart(site: TestClient) -> None:
    _seed(site)
    org = person(site, "org@example.org", "Org", Role.organiser)
    page = org.client.get("/organise/dashboard")
    assert page.status_code == 200
    assert re.search(r'class="queue-length">\s*2\s*<', page.text)
    assert re.search(r'class="failed">\s*1\s*<', page.text)
    assert "<svg" in page.text and "sea-temp · development: 5" in page.text


def test_dashboard_counts_sign_ups_teams_and_teams_that_submitted(site: TestClient) -> None:
    _seed(site)  # Owner's team Delfini has submitted
    cid, _ = challenge(site, "empty-sea")
    idle = person(site, "idle@example.org", "Idle")
    team_for(site, cid, idle, "Quiet")
    person(site, "lurker@example.org", "Lurker")  # signed up, in no team
    org = person(site, "org@example.org", "Org", Role.admin)  # the site's figure: admins only
    with Session(engine_of(site)) as session:
        figures = {t.slug: (t.people, t.teams, t.teams_submitted) for t in turnout(session)}
        assert registered_users(session) == 4
    assert figures == {"sea-temp": (1, 1, 1), "empty-sea": (1, 1, 0)}

    page = org.client.get("/organise/dashboard?lang=en").text
    assert "4 registered users." in page
    row = page[page.index('id="turnout-empty-sea"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r'class="teams">1<', row) and re.search(r'class="submitted">0<', row)
    assert "empty-sea · Teams that submitted: 0" in page  # the chart's bar, with its title
    italian = org.client.get("/organise/dashboard?lang=it").text
    assert "4 utenti registrati." in italian and "Squadre che hanno inviato" in italian
    participant = person(site, "p@example.org", "P")
    assert participant.client.get("/organise/dashboard").status_code == 403
    organiser = person(site, "o@example.org", "O", Role.organiser)  # not an admin
    theirs = organiser.client.get("/organise/dashboard?lang=en").text
    assert "registered users" not in theirs, "how many people use the site is the admins' figure"


def test_dashboard_shows_each_pool_its_waiting_running_and_hosts(
    site: TestClient, web_settings: Settings, redis_15: redis.Redis
) -> None:
    from sqlmodel import select

    from app.challenges.models import Phase
    from app.core.hosts import HostCapacity, HostHealth, publish_health
    from app.core.settings import ComputePool

    _seed(site)  # 2 queued, 1 running in the default pool
    cid, _ = challenge(site, "gpu-sea")
    owner = person(site, "gpu-owner@example.org", "Gpu Owner")
    team = team_for(site, cid, owner, "Balene")
    with Session(engine_of(site)) as session:
        phase = session.exec(select(Phase).where(Phase.challenge_id == cid)).one()
        phase.pool = "gpu"
        session.add(phase)
        session.commit()
    queued_submission(site, team, owner.user_id, status="queued")
    web_settings.pools = [ComputePool(name="big", cpus=32, memory_mb=65536)]
    publish_health(
        redis_15, "gpu-host-1", HostHealth(True, "ok"), 1, 60,
        pools=("gpu",), capacity=HostCapacity(cpus=16, memory_mb=64000, gpus=2),
    )  # fmt: skip
    try:
        org = person(site, "org@example.org", "Org", Role.organiser)
        text = org.client.get("/organise/dashboard?lang=en").text
    finally:
        redis_15.delete("marea:workers:gpu-host-1")
    rows = {
        name: (int(waiting), int(running), hosts.strip())
        for name, waiting, running, hosts in re.findall(
            r'<tr class="pool" id="pool-([a-z0-9-]+)"><th scope="row">[^<]*</th>'
            r'<td class="waiting">(\d+)</td><td class="running">(\d+)</td>'
            r'<td class="hosts">([^<]*)</td>',
            text,
        )
    }
    assert rows["default"][:2] == (2, 1)
    assert rows["gpu"] == (1, 0, "gpu-host-1 (16 CPU, 64000 MB, 2 GPU)")
    assert rows["big"] == (0, 0, "none")  # declared in MAREA_POOLS, no host serves it yet
    assert "Compute pools" in text
