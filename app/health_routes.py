"""/healthz: one line per component, 200 when all are up, 503 otherwise."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import EngineDep, SettingsDep
from app.health import report

router = APIRouter()


@router.get("/healthz", name="healthz")
def healthz(engine: EngineDep, settings: SettingsDep) -> JSONResponse:
    checks = report(engine, settings.redis_url)
    ok = all(c.ok for c in checks.values())
    body = {
        "status": "ok" if ok else "degraded",
        "checks": {name: {"ok": c.ok, "message": c.message} for name, c in checks.items()},
    }
    return JSONResponse(body, status_code=200 if ok else 503)
