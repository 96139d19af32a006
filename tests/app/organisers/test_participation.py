"""Approving teams, disqualifying them with a reason the team keeps, cancelling submissions."""

from __future__ import annotations

import json

import redis
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.live.events import submission_channel
from app.organisers.participation import excluded_team_ids
from app.submissions.models import Status, Submission, SubmissionEvent
from app.teams.models import Team
from tests.app.organisers.org_helpers import queued_submission
from tests.app.web.web_helpers import Person, challenge, engine_of, person, team_for


def _post(who: Person, path: str, **data: str) -> tuple[int, str]:
    token = who.csrf("/organise/sea-temp/teams")
    response = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code, response.text


def test_approve_disqualify_reinstate_and_the_audit_log(site: TestClient) -> None:
    cid, _ = challenge(site)
    org = person(site, "org@example.org", "Org", Role.organiser)
    captain = person(site, "cap@example.org", "Cap")
    team_id = team_for(site, cid, captain, "Delfini")
    with Session(engine_of(site)) as session:
        team = session.get(Team, team_id)
        assert team is not None
        team.approved = False
        session.add(team)
        session.commit()
    base = f"/organise/sea-temp/teams/{team_id}"

    assert _post(org, f"{base}/approve")[0] == 303
    status, page = _post(org, f"{base}/disqualify", reason="   ")
    assert status == 422 and "reason" in page
    assert _post(org, f"{base}/disqualify", reason="Used the test labels.")[0] == 303
    page_text = org.client.get("/organise/sea-temp/teams").text
    assert "Used the test labels." in page_text
    with Session(engine_of(site)) as session:
        team = session.get(Team, team_id)
        assert team is not None and team.approved
        assert team.disqualified_reason == "Used the test labels."
        assert excluded_team_ids(session, cid) == {team_id}
    assert _post(org, f"{base}/reinstate")[0] == 303
    assert _post(org, "/organise/sea-temp/teams/999999/approve")[0] == 404
    with Session(engine_of(site)) as session:
        assert excluded_team_ids(session, cid) == set()
        actions = [
            (e.action, e.actor_id, e.detail.get("reason"))
            for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))  # type: ignore[arg-type]
        ]
    assert actions == [
        ("team.approve", org.user_id, None),
        ("team.disqualify", org.user_id, "Used the test labels."),
        ("team.reinstate", org.user_id, None),
    ]
    audit = org.client.get("/organise/sea-temp/audit").text
    assert audit.count('class="audit-event"') == 3


def test_cancel_a_queued_submission_but_not_a_scored_one(site: TestClient) -> None:
    cid, _ = challenge(site)
    org = person(site, "org@example.org", "Org", Role.organiser)
    captain = person(site, "cap@example.org", "Cap")
    team_id = team_for(site, cid, captain, "Delfini")
    queued = queued_submission(site, team_id, captain.user_id)
    scored = queued_submission(site, team_id, captain.user_id, status=Status.scored)

    path = f"/organise/sea-temp/submissions/{queued}/cancel"
    events_bus = redis.Redis.from_url(site.app.state.settings.redis_url).pubsub()  # type: ignore[attr-defined]
    events_bus.subscribe(submission_channel(queued))
    events_bus.get_message(timeout=1)  # the subscription confirmation
    assert _post(org, path, reason="duplicate upload")[0] == 303
    published = events_bus.get_message(timeout=2)
    assert published is not None and json.loads(published["data"])["status"] == "cancelled"
    events_bus.close()
    status, page = _post(org, f"/organise/sea-temp/submissions/{scored}/cancel")
    # The site's default language, Italian, also for the refusal and its status word.
    assert status == 409 and f"L&#39;invio {scored} è in stato «valutato»" in page
    status, page = _post(org, f"/organise/sea-temp/submissions/{scored}/cancel?lang=en")
    assert status == 409 and "only queued or running submissions can be cancelled" in page
    with Session(engine_of(site)) as session:
        row = session.get(Submission, queued)
        assert row is not None and row.status == Status.cancelled
        assert "duplicate upload" in row.message
        events = session.exec(
            select(SubmissionEvent).where(SubmissionEvent.submission_id == queued)
        ).all()
        assert [e.status for e in events] == ["cancelled"]
        untouched = session.get(Submission, scored)
        assert untouched is not None and untouched.status == Status.scored
        audit = session.exec(select(AuditEvent)).one()
        assert audit.action == "submission.cancel" and audit.detail["submission_id"] == queued
