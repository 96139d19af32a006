"""Role checks through the typed dependencies: participant < judge < organiser < admin."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.deps import AdminUser, JudgeUser, OrganiserUser
from app.accounts.models import Role
from app.accounts.service import create_user
from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import PASSWORD, log_in


def _app_with_guarded_routes(settings: Settings) -> TestClient:
    app = create_app(settings)
    router = APIRouter()

    @router.get("/api/v1/probe/judge")
    def judge_only(user: JudgeUser) -> dict[str, str]:
        return {"who": user.email}

    @router.get("/api/v1/probe/organiser")
    def organiser_only(user: OrganiserUser) -> dict[str, str]:
        return {"who": user.email}

    @router.get("/probe/admin")
    def admin_only(user: AdminUser) -> dict[str, str]:
        return {"who": user.email}

    app.include_router(router)
    with Session(app.state.engine) as db:
        for role in Role:
            create_user(
                db, email=f"{role.value}@example.org", name=role.value, password=PASSWORD, role=role
            )
        db.commit()
    return TestClient(app)


WHO_MAY = {
    "judge": "Only a judge (or an organiser)",
    "organiser": "Only the organisers of an event or the owners of a challenge",
    "admin": "Solo un amministratore del sito",  # a page: Italian by default
}


def test_each_role_reaches_what_its_rank_allows(settings: Settings, redis_15: object) -> None:
    paths = {
        "judge": "/api/v1/probe/judge",
        "organiser": "/api/v1/probe/organiser",
        "admin": "/probe/admin",
    }
    rank = {role.value: i for i, role in enumerate(Role)}
    with _app_with_guarded_routes(settings) as client:
        for role in Role:
            client.cookies.clear()
            assert log_in(client, f"{role.value}@example.org") == 303
            for needed, path in paths.items():
                response = client.get(path)
                allowed = rank[role.value] >= rank[needed]
                assert response.status_code == (200 if allowed else 403), (role, path)
                if not allowed:  # each refusal names who may
                    assert WHO_MAY[needed] in response.text


def test_anonymous_callers_get_401_on_the_api_and_a_login_redirect_on_pages(
    settings: Settings, redis_15: object
) -> None:
    with _app_with_guarded_routes(settings) as client:
        api = client.get("/api/v1/probe/judge")
        assert api.status_code == 401 and api.json()["error"]["status"] == 401
        page = client.get("/probe/admin?x=1", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fprobe%2Fadmin%3Fx%3D1"
