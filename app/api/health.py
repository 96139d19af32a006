"""/healthz: 200 when every component is up, 503 otherwise; the details only for operators.

Anyone (a load balancer, an uptime monitor) learns up or down from the status and a
one-word body. Which component failed, and the driver's own message (hosts, ports,
versions), is for organisers signed in and for callers allowed to read /metrics
(`app.web.security.may_scrape`): an anonymous caller must not learn the insides of the site.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import role_at_least
from app.accounts.sessions import session_user
from app.accounts.tokens import user_for_token
from app.core.settings import Settings
from app.web.deps import EngineDep, SettingsDep
from app.web.health import report
from app.web.security import is_bearer, may_scrape

router = APIRouter()


def may_see_details(request: Request, engine: Engine, settings: Settings) -> bool:
    """Operators: the /metrics token (or this host), an organiser's session or API token.

    Never an error: a health check must answer whatever the caller sent, so a wrong token
    or a database that is down just means no details.
    """
    if may_scrape(request, settings):
        return True
    try:
        with Session(engine) as db:
            if is_bearer(request.headers):
                secret = request.headers["authorization"].partition(" ")[2].strip()
                found = user_for_token(db, secret)
                user = found[0] if found is not None else None
            else:
                signed_in = session_user(request, db)
                user = signed_in.user if signed_in is not None else None
            return user is not None and role_at_least(user.role, Role.organiser)
    except SQLAlchemyError:
        return False


@router.get("/healthz", name="healthz")
def healthz(request: Request, engine: EngineDep, settings: SettingsDep) -> JSONResponse:
    checks = report(engine, settings.redis_url)
    ok = all(c.ok for c in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "degraded"}
    if may_see_details(request, engine, settings):
        body["checks"] = {name: {"ok": c.ok, "message": c.message} for name, c in checks.items()}
    return JSONResponse(body, status_code=200 if ok else 503)
