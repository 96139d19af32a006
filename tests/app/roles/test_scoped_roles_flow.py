"""Roles over one event or one challenge, as organisers meet them: listed in event.yaml or
challenge.yaml, given on /organise/roles, taken back; verified addresses only; judges of an
event; a challenge's first uploader owns it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.core.db import session_scope
from app.roles.models import RoleGrant, Scoped, Source
from tests.app.events.test_event_site import CHALLENGES, DEMO, add_challenges, load
from tests.app.judges.test_judging import JUDGING
from tests.app.organisers.org_helpers import SEA, zip_folder
from tests.app.web.web_helpers import BOARD, Person, engine_of, person

ORGANISER = "organizzazione@marea.example"  # listed in the demo event.yaml
JUDGE = "giuria@marea.example"


def _event(client: TestClient, tmp_path: Path, **replace: str) -> Path:
    folder = tmp_path / f"event-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(DEMO, folder)
    text = (folder / "event.yaml").read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    (folder / "event.yaml").write_text(text)
    return folder


def _loaded(client: TestClient, tmp_path: Path, **replace: str) -> None:
    add_challenges(client, *CHALLENGES)
    with session_scope(engine_of(client)) as session:
        for challenge in session.exec(select(Challenge)):
            challenge.config = {**BOARD, "judging": JUDGING}
            session.add(challenge)
    load(client, _event(client, tmp_path, **replace), publish=True)


def _post(who: Person, path: str, **data: str) -> tuple[int, str, str]:
    token = who.csrf("/account")
    response = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def test_the_event_files_organisers_run_its_challenges_and_nobody_else(
    client: TestClient, tmp_path: Path
) -> None:
    _loaded(client, tmp_path)
    listed = person(client, ORGANISER, "Orsola")  # no site role: the event.yaml gives it
    site_organiser = person(client, "otto@example.org", "Otto", Role.organiser)
    assert listed.client.get("/organise/sea-surface-temperature").status_code == 200
    assert site_organiser.client.get("/organise/sea-surface-temperature").status_code == 404
    home = listed.client.get("/organise?lang=en").text
    assert all(slug in home for slug in CHALLENGES)
    others = site_organiser.client.get("/organise?lang=en").text
    assert "sea-surface-temperature" not in others
    assert "Organise" in listed.client.get("/?lang=en").text  # the menu shows the way in


def test_an_unverified_account_does_not_pick_up_a_role_by_its_address(
    client: TestClient, tmp_path: Path
) -> None:
    _loaded(client, tmp_path)
    squatter = person(client, ORGANISER, "Mallory", verified=False)
    assert squatter.client.get("/organise/sea-surface-temperature").status_code == 403
    with session_scope(engine_of(client)) as session:
        user = session.get(User, squatter.user_id)
        assert user is not None
        user.email_verified = True  # they followed the link sent to that address
        session.add(user)
    assert squatter.client.get("/organise/sea-surface-temperature").status_code == 200


def test_loading_again_follows_the_files_list_and_keeps_invitations(
    client: TestClient, tmp_path: Path
) -> None:
    _loaded(client, tmp_path)
    admin = person(client, "admin@example.org", "Ada", Role.admin)
    status, to, _ = _post(
        admin, "/organise/roles", email="invited@example.org", what="event:1:judge"
    )
    assert (status, to) == (303, "/organise/roles")
    load(client, _event(client, tmp_path, **{ORGANISER: "nuova@marea.example"}))
    with Session(engine_of(client)) as session:
        grants = {(g.email, g.role, g.source) for g in session.exec(select(RoleGrant))}
    assert ("nuova@marea.example", Scoped.organiser, Source.event_yaml) in grants
    assert all(email != ORGANISER for email, _r, _s in grants), "taken off the list: gone"
    assert ("invited@example.org", Scoped.judge, Source.web) in grants, "an invitation stays"


def test_judges_of_the_event_judge_its_challenges_without_a_site_role(
    client: TestClient, tmp_path: Path
) -> None:
    _loaded(client, tmp_path)
    judge = person(client, JUDGE, "Giulia")
    outsider = person(client, "other-judge@example.org", "Oreste", Role.judge)
    home = judge.client.get("/judge?lang=en").text
    assert all(f"/judge/{slug}" in home for slug in CHALLENGES)
    assert judge.client.get("/judge/bike-sharing-demand").status_code == 200
    assert outsider.client.get("/judge/bike-sharing-demand").status_code == 404
    organiser = person(client, ORGANISER, "Orsola")
    page = organiser.client.get("/organise/bike-sharing-demand/judges?lang=en").text
    assert "Giulia" in page, "the event's judges are listed with the challenge's"


def test_roles_given_on_the_site_are_audited_and_taken_back_after_asking(
    client: TestClient, tmp_path: Path
) -> None:
    _loaded(client, tmp_path)
    organiser = person(client, ORGANISER, "Orsola")
    with Session(engine_of(client)) as session:
        bike = session.exec(select(Challenge).where(Challenge.slug == "bike-sharing-demand")).one()
    page = organiser.client.get("/organise/roles?lang=en").text
    assert f'value="challenge:{bike.id}:owner"' in page
    status, _to, _ = _post(
        organiser, "/organise/roles", email="Dati@Comune.example", what=f"challenge:{bike.id}:owner"
    )
    assert status == 303
    page = organiser.client.get("/organise/roles?lang=en").text
    assert "Role given to dati@comune.example." in page
    owner = person(client, "dati@comune.example", "Dario")
    assert owner.client.get("/organise/bike-sharing-demand").status_code == 200
    assert owner.client.get("/organise/sea-surface-temperature").status_code == 404
    assert owner.client.get("/events/hackathon-del-mare/registrations").status_code == 404
    audit = organiser.client.get("/organise/bike-sharing-demand/audit?lang=en").text
    assert "gave dati@comune.example the role: owner of this challenge." in audit

    grant_id = re.search(r'id="grant-(\d+)">\s*<td[^>]*>dati@comune', page)
    assert grant_id is not None
    assert 'class="confirm"' in page and "Take back…" in page  # asks first
    status, _to, _ = _post(organiser, f"/organise/roles/{grant_id.group(1)}/revoke")
    assert status == 303
    assert owner.client.get("/organise/bike-sharing-demand").status_code == 403
    listed = re.search(r'id="grant-(\d+)">\s*<td[^>]*>organizzazione@', page)
    assert listed is not None
    status, _to, text = _post(organiser, f"/organise/roles/{listed.group(1)}/revoke")
    assert status == 409 and "event.yaml" in text, "a file's list is changed in the file"


def test_the_first_uploader_owns_a_challenge_and_other_organisers_cannot_replace_it(
    client: TestClient, tmp_path: Path
) -> None:
    first = person(client, "prima@example.org", "Prima", Role.organiser)
    second = person(client, "seconda@example.org", "Seconda", Role.organiser)
    bundle = zip_folder(SEA)

    def upload(who: Person) -> tuple[int, str]:
        token = who.csrf("/organise")
        response = who.client.post(
            "/organise/upload?lang=en",
            data={"csrf_token": token},
            files={"bundle": ("sea.zip", bundle, "application/zip")},
            follow_redirects=False,
        )
        return response.status_code, response.text

    assert upload(first)[0] == 303
    status, text = upload(second)
    assert status == 403 and "already exists and you do not run it" in text
    assert "sea-surface-temperature" not in second.client.get("/organise").text
    assert first.client.get("/organise/sea-surface-temperature").status_code == 200
    with Session(engine_of(client)) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "role.give" in actions


def test_an_events_audit_log_is_its_organisers_alone(client: TestClient, tmp_path: Path) -> None:
    _loaded(client, tmp_path)
    organiser = person(client, ORGANISER, "Orsola")
    status, _to, _ = _post(
        organiser, "/organise/roles", email="giudice@example.org", what="event:1:judge"
    )
    assert status == 303
    page = organiser.client.get("/events/hackathon-del-mare/audit?lang=en").text
    assert "gave giudice@example.org the role: judge of the event hackathon-del-mare." in page
    assert "The system" in page  # the load from event.yaml
    stranger = person(client, "altro@example.org", "Altro", Role.organiser)
    assert stranger.client.get("/events/hackathon-del-mare/audit").status_code == 404
