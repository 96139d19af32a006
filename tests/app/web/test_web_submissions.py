"""Submitting through the API and the web form; who may see a submission; live status."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import redis
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.core.db import utcnow
from app.core.store import LocalStore
from app.live.events import submission_channel
from app.submissions.models import Status, Submission
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for

CSV = b"id,value\n1,0.5\n2,0.7\n"


def _store_objects(client: TestClient) -> list[Path]:
    root: Path = client.app.state.settings.store_dir  # type: ignore[attr-defined]
    return [p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"]


def _setup(client: TestClient, **phase: object) -> tuple[Person, Person, int]:
    cid, _ = challenge(client, **phase)
    ada = person(client, "ada@example.org", "Ada")
    eve = person(client, "eve@example.org", "Eve")
    team_for(client, cid, ada, "Delfini")
    team_for(client, cid, eve, "Squali")
    return ada, eve, cid


def _post(client: TestClient, who: Person, data: bytes = CSV, **extra: str) -> object:
    return client.post(
        "/api/v1/challenges/sea-temp/submissions",
        files={"file": ("preds.csv", data, "text/csv")},
        data={"description": "first try", **extra},
        headers=who.bearer(),
    )


def test_api_upload_stores_queues_and_dispatches(client: TestClient, redis_15: redis.Redis) -> None:
    ada, _, _ = _setup(client)
    events = redis_15.pubsub()
    events.psubscribe("marea:events:submission:*")
    events.get_message(timeout=1)  # the subscription confirmation
    response = _post(client, ada, link="https://example.org/code")
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == "queued" and body["team"]["name"] == "Delfini"
    assert body["filename"] == "preds.csv" and body["size"] == len(CSV)
    assert body["description"] == "first try" and body["link"] == "https://example.org/code"
    store: LocalStore = client.app.state.store  # type: ignore[attr-defined]
    with store.open(body["sha256"]) as fh:
        assert fh.read() == CSV
    assert [h["status"] for h in body["history"]] == ["queued"]
    queue_name = client.app.state.settings.queue_name  # type: ignore[attr-defined]
    assert redis_15.llen(f"rq:queue:{queue_name}") == 1, "the new submission was dispatched"
    published = events.get_message(timeout=2)
    assert published is not None and published["type"] == "pmessage"
    assert json.loads(published["data"])["status"] == "queued"  # live pages hear of it at once
    events.close()


def test_upload_over_the_cap_is_413_and_nothing_is_stored(client: TestClient) -> None:
    ada, _, _ = _setup(client)
    client.app.state.settings.upload_max_bytes = 1000  # type: ignore[attr-defined]
    before = _store_objects(client)
    big = b"x" * 5000
    # A client that sends the body chunked (no Content-Length) is cut off while streaming.
    streamed = client.post(
        "/api/v1/challenges/sea-temp/submissions",
        content=iter([_multipart_head(), big, b"\r\n--BOUNDARY--\r\n"]),
        headers={**ada.bearer(), "Content-Type": "multipart/form-data; boundary=BOUNDARY"},
    )
    assert streamed.status_code == 413
    assert "larger than the" in streamed.json()["error"]["message"]
    declared = _post(client, ada, b"y" * 200_000)
    assert declared.status_code == 413  # type: ignore[attr-defined]
    assert _store_objects(client) == before
    root: Path = client.app.state.settings.store_dir  # type: ignore[attr-defined]
    assert list((root / "tmp").iterdir()) == [], "no temporary file is left behind"
    with Session(engine_of(client)) as session:
        assert session.exec(select(Submission)).all() == []


def _multipart_head() -> bytes:
    return (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )


def test_daily_quota_refusal_is_429_with_retry_after(client: TestClient) -> None:
    ada, _, _ = _setup(client, max_per_day=1)
    assert _post(client, ada).status_code == 201  # type: ignore[attr-defined]
    refused = _post(client, ada, b"id,value\n1,0.9\n")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    retry = int(refused.headers["retry-after"])  # type: ignore[attr-defined]
    assert 0 < retry <= 86400
    assert "resets" in refused.json()["error"]["message"]  # type: ignore[attr-defined]


def test_refusals_without_team_closed_phase_or_token(client: TestClient) -> None:
    cid, _ = challenge(client, end=utcnow() - timedelta(hours=1))
    ada = person(client, "ada@example.org", "Ada")
    no_team = _post(client, ada)
    assert no_team.status_code == 403  # type: ignore[attr-defined]
    assert "team" in no_team.json()["error"]["message"]  # type: ignore[attr-defined]
    team_for(client, cid, ada, "Delfini")
    closed = _post(client, ada)
    assert closed.status_code == 409  # type: ignore[attr-defined]
    bad_token = client.post(
        "/api/v1/challenges/sea-temp/submissions",
        files={"file": ("p.csv", CSV)},
        headers={"Authorization": "Bearer marea_wrong"},
    )
    assert bad_token.status_code == 401


def test_web_form_upload_redirects_to_the_live_submission_page(client: TestClient) -> None:
    ada, _, _ = _setup(client, max_per_day=3)
    form = ada.client.get("/challenges/sea-temp/submit?lang=en")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text and "submit.js" in form.text
    assert re.search(r"3 / 3", form.text), "the quota left today is shown"
    first_field = re.search(r'<form method="post" enctype[^>]*>\s*<input ([^>]*)>', form.text)
    assert first_field and 'name="csrf_token"' in first_field.group(1)
    posted = ada.client.post(
        "/challenges/sea-temp/submit",
        data={"csrf_token": ada.csrf("/challenges/sea-temp/submit")},
        files={"file": ("preds.csv", CSV, "text/csv")},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[-800:]
    page = ada.client.get(posted.headers["location"] + "?lang=en")
    assert page.status_code == 200 and "preds.csv" in page.text and "queued" in page.text
    assert "submission.js" in page.text
    assert "2 / 3" in ada.client.get("/challenges/sea-temp/submit").text
    as_json = ada.client.post(
        "/challenges/sea-temp/submit",
        data={"csrf_token": ada.csrf("/challenges/sea-temp/submit")},
        files={"other": ("p.csv", b"1,2", "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 400
    assert as_json.json()["error"]["message"].startswith("Choose a file")


def _scored(client: TestClient, submission_id: int) -> None:
    store: LocalStore = client.app.state.store  # type: ignore[attr-defined]
    logs = store.put_bytes(
        json.dumps(
            {"participant": {"stdout": "team output"}, "organiser": {"scorer": "hidden detail"}}
        ).encode()
    )
    from app.submissions.models import Score

    with Session(engine_of(client)) as session:
        s = session.get(Submission, submission_id)
        assert s is not None
        s.status = Status.scored
        s.logs_sha256 = logs.sha256
        session.add(s)
        session.add(Score(submission_id=submission_id, split="public", key="rmse", value=0.25))
        session.add(Score(submission_id=submission_id, split="private", key="rmse", value=0.5))
        session.commit()


def test_only_the_team_and_organisers_see_a_submission(client: TestClient) -> None:
    ada, eve, _ = _setup(client)
    sid = _post(client, ada).json()["id"]  # type: ignore[attr-defined]
    _scored(client, sid)
    mine = client.get(f"/api/v1/submissions/{sid}", headers=ada.bearer()).json()
    assert mine["scores"] == {"public": {"rmse": 0.25}}, "private scores wait for the reveal"
    assert mine["logs"] == {"participant": {"stdout": "team output"}}
    assert client.get(f"/api/v1/submissions/{sid}", headers=eve.bearer()).status_code == 404
    assert client.get(f"/api/v1/submissions/{sid + 999}", headers=ada.bearer()).status_code == 404
    assert eve.client.get(f"/submissions/{sid}").status_code == 404
    anonymous = client.get(f"/submissions/{sid}", follow_redirects=False)
    assert anonymous.status_code == 303
    page = ada.client.get(f"/submissions/{sid}")
    assert "team output" in page.text and "hidden detail" not in page.text
    assert "0,250" in page.text, "scores use the column's precision and the Italian decimal comma"
    org = person(client, "org@example.org", "Olga", Role.organiser)
    seen = client.get(f"/api/v1/submissions/{sid}", headers=org.bearer()).json()
    assert seen["logs"]["organiser"] == {"scorer": "hidden detail"}
    assert seen["scores"]["private"] == {"rmse": 0.5}
    assert "hidden detail" in org.client.get(f"/submissions/{sid}").text
    assert client.get(f"/api/v1/submissions/{sid}/events", headers=eve.bearer()).status_code == 404


def test_team_list_is_paginated_newest_first(client: TestClient) -> None:
    ada, eve, _ = _setup(client)
    ids = [
        _post(client, ada, f"id,value\n1,{i}\n".encode()).json()["id"]  # type: ignore[attr-defined]
        for i in range(5)
    ]
    _post(client, eve)
    first = client.get(
        "/api/v1/challenges/sea-temp/submissions?limit=2", headers=ada.bearer()
    ).json()
    assert [s["id"] for s in first["items"]] == ids[::-1][:2]
    seen = [s["id"] for s in first["items"]]
    cursor = first["next_before"]
    while cursor:
        page = client.get(
            f"/api/v1/challenges/sea-temp/submissions?limit=2&before={cursor}",
            headers=ada.bearer(),
        ).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_before"]
    assert seen == ids[::-1], "every submission of the team once, none of the other team's"
    html = ada.client.get("/challenges/sea-temp/submissions?lang=en").text
    assert all(f"/submissions/{i}" in html for i in ids)


def test_status_events_stream_current_then_changes(
    client: TestClient, redis_15: redis.Redis
) -> None:
    ada, _, _ = _setup(client)
    sid = _post(client, ada).json()["id"]  # type: ignore[attr-defined]
    with client.stream("GET", f"/api/v1/submissions/{sid}/events", headers=ada.bearer()) as sse:
        assert sse.status_code == 200
        lines = sse.iter_lines()
        events = []
        for line in lines:
            if line.startswith("data:"):
                events.append(json.loads(line[5:])["status"])
                if len(events) == 1:
                    _scored(client, sid)
                    redis_15.publish(
                        submission_channel(sid), json.dumps({"type": "submission", "status": "x"})
                    )
                else:
                    break
    assert events == ["queued", "scored"]


def test_a_failed_submission_reads_in_the_page_language(client: TestClient) -> None:
    """The worker stores judging's message as an id and parameters; the page says it."""
    from judging import failures
    from judging.scorer.wording import said

    ada, _, _ = _setup(client)
    sid = _post(client, ada).json()["id"]  # type: ignore[attr-defined]
    problem = failures.Message.from_json(said("predictions.unknown_id", line=3, id="'zz'"))
    assert problem is not None
    failure = failures.invalid_output(problem, 3)
    with Session(engine_of(client)) as session:
        s = session.get(Submission, sid)
        assert s is not None
        s.status, s.failure = Status.failed, str(failure.category)
        s.message, s.message_i18n = failure.message, failure.said.to_json()
        session.add(s)
        session.commit()
    english = ada.client.get(f"/submissions/{sid}?lang=en").text
    assert "Your predictions file could not be scored: line 3: the id &#39;zz&#39;" in english
    assert "invalid output" in english and ">failed<" in english
    italian = ada.client.get(f"/submissions/{sid}?lang=it").text
    assert "Il tuo file di previsioni non può essere valutato: riga 3: l&#39;id &#39;zz&#39;" in (
        italian
    )
    assert "output non valido" in italian and ">non riuscito<" in italian
    assert "Your predictions file" not in italian and ">invalid_output<" not in italian
    listed = ada.client.get("/challenges/sea-temp/submissions?lang=it")
    if listed.status_code == 200:
        assert "non riuscito" in listed.text
    api = client.get(f"/api/v1/submissions/{sid}", headers=ada.bearer()).json()
    assert api["message"] == failure.message, "the API's message stays English"
