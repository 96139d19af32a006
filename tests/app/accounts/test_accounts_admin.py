"""The admin pages (issue 14): find people, change their role, deactivate, log out everywhere.

Through the real site on SQLite and PostgreSQL, as an admin in a browser would: the first
POST of a change only says what will happen, the confirmed one does it, ends the sessions
(and revokes the tokens) the CLI's change would, and writes the audit log.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.accounts import admin
from app.accounts.models import Role, TokenScope, User
from app.accounts.service import create_user
from app.accounts.tokens import create_token, user_for_token
from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.core.refusal import Refusal
from app.jury.service import assign
from tests.app.accounts.helpers import browser, csrf_from, log_in, me_status


def _engine(site: TestClient) -> Engine:
    engine: Engine = site.app.state.engine  # type: ignore[attr-defined]
    return engine


def _user(site: TestClient, email: str, name: str, role: Role = Role.participant) -> int:
    with Session(_engine(site)) as db:
        made = create_user(db, email=email, name=name, password="correct horse battery", role=role)
        assert isinstance(made, User) and made.id is not None
        db.commit()
        return made.id


def _signed_in(site: TestClient, email: str, ip: str = "203.0.113.7") -> TestClient:
    client = browser(site, ip=ip)
    client.headers["Accept-Language"] = "en"
    assert log_in(client, email) == 303
    return client


def _get(site: TestClient, user_id: int) -> User:
    with Session(_engine(site)) as db:
        found = db.get(User, user_id)
        assert found is not None
        return found


def _audit(site: TestClient, email: str) -> list[str]:
    with Session(_engine(site)) as db:
        rows = db.exec(select(AuditEvent).where(col(AuditEvent.target) == email))
        return [event.action for event in rows]


def _post(client: TestClient, path: str, **form: str) -> Response:
    token = csrf_from(client.get("/admin/users").text)
    answer: Response = client.post(path, data={"csrf_token": token, **form}, follow_redirects=False)
    return answer


def test_an_admin_makes_a_participant_a_judge_who_can_then_be_assigned(site: TestClient) -> None:
    admin_id = _user(site, "root@example.org", "Root", Role.admin)
    bea = _user(site, "bea@example.org", "Bea Rossi")
    bea_browser = _signed_in(site, "bea@example.org", ip="203.0.113.8")
    root = _signed_in(site, "root@example.org")
    with Session(_engine(site)) as db:
        challenge = Challenge(
            slug="sea",
            title={"en": "Sea"},
            summary={"en": "s"},
            theme="sea",
            config={},
            bundle_sha256="0" * 64,
        )
        db.add(challenge)
        db.commit()
        organiser = db.get(User, admin_id)
        assert organiser is not None
        refused = assign(db, organiser, challenge, "bea@example.org")
        assert isinstance(refused, Refusal) and f"/admin/users/{bea}" in refused.message
        db.rollback()

    page = root.get(f"/admin/users/{bea}")
    assert page.status_code == 200 and "bea@example.org" in page.text
    asked = _post(root, f"/admin/users/{bea}/role", role="judge")
    assert asked.status_code == 200, asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert "1 session ends" in asked.text
    assert _get(site, bea).role == Role.participant and me_status(bea_browser) == 200
    assert _audit(site, "bea@example.org") == []  # the first step changes nothing

    done = _post(root, f"/admin/users/{bea}/role", role="judge", confirm="yes")
    assert done.status_code == 303
    assert done.headers["location"] == f"/admin/users/{bea}"
    notice = root.get(f"/admin/users/{bea}").text
    assert "Done: Bea Rossi is now Judge." in notice and "1 session ended" in notice
    assert _get(site, bea).role == Role.judge
    assert me_status(bea_browser) == 401  # logs in again under the new role
    assert _audit(site, "bea@example.org") == ["user.role"]

    with Session(_engine(site)) as db:
        organiser = db.get(User, admin_id)
        challenge_row = db.exec(select(Challenge).where(Challenge.slug == "sea")).one()
        assert organiser is not None
        assert isinstance(assign(db, organiser, challenge_row, "bea@example.org"), User)
        db.commit()


def test_deactivation_ends_sessions_and_revokes_tokens_and_activation_undoes_the_lock(
    site: TestClient,
) -> None:
    _user(site, "root@example.org", "Root", Role.admin)
    carla = _user(site, "carla@example.org", "Carla")
    with Session(_engine(site)) as db:
        owner = db.get(User, carla)
        assert owner is not None
        made = create_token(db, owner, "laptop", TokenScope.read)
        assert not isinstance(made, Refusal)
        secret = made.secret
        db.commit()
    carla_browser = _signed_in(site, "carla@example.org", ip="203.0.113.9")
    root = _signed_in(site, "root@example.org")

    asked = _post(root, f"/admin/users/{carla}/deactivate")
    assert asked.status_code == 200
    assert "1 API token is revoked for good" in asked.text
    assert _get(site, carla).is_active and me_status(carla_browser) == 200

    done = _post(root, f"/admin/users/{carla}/deactivate", confirm="yes")
    assert done.status_code == 303
    notice = root.get(f"/admin/users/{carla}").text
    assert "is deactivated" in notice and "1 API token revoked" in notice
    assert not _get(site, carla).is_active
    assert me_status(carla_browser) == 401
    with Session(_engine(site)) as db:
        assert user_for_token(db, secret) is None
    assert log_in(browser(site, ip="203.0.113.10"), "carla@example.org") != 303

    assert _post(root, f"/admin/users/{carla}/activate").status_code == 303
    assert _get(site, carla).is_active
    assert log_in(browser(site, ip="203.0.113.11"), "carla@example.org") == 303
    with Session(_engine(site)) as db:
        assert user_for_token(db, secret) is None  # a revoked token stays revoked
    assert _audit(site, "carla@example.org") == ["user.deactivate", "user.activate"]


def test_log_out_everywhere_ends_sessions_and_keeps_tokens(site: TestClient) -> None:
    _user(site, "root@example.org", "Root", Role.admin)
    dino = _user(site, "dino@example.org", "Dino")
    dino_browser = _signed_in(site, "dino@example.org", ip="203.0.113.12")
    root = _signed_in(site, "root@example.org")
    assert _post(root, f"/admin/users/{dino}/logout").status_code == 200
    assert me_status(dino_browser) == 200
    assert _post(root, f"/admin/users/{dino}/logout", confirm="yes").status_code == 303
    assert me_status(dino_browser) == 401
    assert _get(site, dino).is_active
    assert _audit(site, "dino@example.org") == ["user.logout"]


def test_an_admin_cannot_demote_or_deactivate_themself(site: TestClient) -> None:
    root_id = _user(site, "root@example.org", "Root", Role.admin)
    root = _signed_in(site, "root@example.org")
    for form in ({}, {"confirm": "yes"}):
        refused = _post(root, f"/admin/users/{root_id}/role", role="participant", **form)
        assert refused.status_code == 409
        assert "You cannot change your own role" in refused.text
        refused = _post(root, f"/admin/users/{root_id}/deactivate", **form)
        assert refused.status_code == 409
        assert "You cannot deactivate your own account" in refused.text
    me = _get(site, root_id)
    assert me.role == Role.admin and me.is_active and me_status(root) == 200
    assert _audit(site, "root@example.org") == []
    italian = root.post(
        f"/admin/users/{root_id}/deactivate?lang=it",
        data={"csrf_token": csrf_from(root.get("/admin/users").text)},
    )
    assert "Non puoi disattivare il tuo account" in italian.text
    unknown = _post(root, f"/admin/users/{root_id}/role", role="superuser", confirm="yes")
    assert unknown.status_code == 422
    assert _post(root, "/admin/users/999999/deactivate").status_code == 404


def test_search_finds_people_by_email_and_by_name(site: TestClient) -> None:
    _user(site, "root@example.org", "Root", Role.admin)
    _user(site, "grace@navy.example", "Grace Hopper")
    _user(site, "ada@example.org", "Ada Lovelace")
    _user(site, "under_score@example.org", "Underscore")
    root = _signed_in(site, "root@example.org")

    def shown(query: str) -> set[str]:
        page = root.get("/admin/users", params={"q": query})
        assert page.status_code == 200
        return {
            email
            for email in ("grace@navy.example", "ada@example.org", "under_score@example.org")
            if email in page.text
        }

    assert shown("hopper") == {"grace@navy.example"}  # by name, any case
    assert shown("NAVY.example") == {"grace@navy.example"}  # by address
    assert shown("ada@") == {"ada@example.org"}
    assert shown("_") == {"under_score@example.org"}  # a LIKE wildcard matches only itself
    assert shown("") == {"grace@navy.example", "ada@example.org", "under_score@example.org"}
    assert "Users" in root.get("/").text  # the header links admins to the page


def test_the_list_shows_fifty_a_page(site: TestClient) -> None:
    with Session(_engine(site)) as db:
        for i in range(53):
            db.add(User(email=f"p{i:02d}@example.org", name=f"Person {i:02d}"))
        db.commit()
        first, last = admin.find_users(db, "", 1), admin.find_users(db, "", 2)
        assert (first.total, first.pages, len(first.users)) == (53, 2, 50)
        assert len(last.users) == 3 and last.page == 2
        assert not {u.id for u in first.users} & {u.id for u in last.users}
        assert admin.find_users(db, "", 9).page == 2  # past the end: the last page
        assert admin.find_users(db, "person 07", 1).total == 1


@pytest.mark.parametrize("role", [Role.participant, Role.judge, Role.organiser])
def test_non_admins_are_refused(site: TestClient, role: Role) -> None:
    target = _user(site, "target@example.org", "Target")
    _user(site, f"{role.value}@example.org", role.value, role)
    client = _signed_in(site, f"{role.value}@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target}").status_code == 403
    token = csrf_from(client.get("/account").text)
    for action in ("role", "deactivate", "logout", "activate"):
        answer = client.post(
            f"/admin/users/{target}/{action}",
            data={"csrf_token": token, "role": "admin", "confirm": "yes"},
            follow_redirects=False,
        )
        assert answer.status_code == 403, action
    assert _get(site, target).role == Role.participant and _get(site, target).is_active
    assert "/admin/users" not in client.get("/").text
    anonymous = browser(site)
    answer = anonymous.get("/admin/users", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
