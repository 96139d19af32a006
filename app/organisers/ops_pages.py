"""Operators' routes: the dashboard, /metrics for Prometheus, and the organisers' exports.

Kept apart from routes.py because these change with what operators watch and
take away, not with how a challenge is run. Included before the organisers'
router so `/organise/dashboard` is not read as a challenge called "dashboard".

/metrics has its own rule (a bearer token, or a local scraper), so the organiser role is
not checked on `router` as a whole but on `organise`, the sub-router of the dashboard and
the exports, included into `router` at the bottom of this module.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse
from sqlmodel import Session

from app.accounts.deps import OrganiserUser, ScopeDep, require_organiser
from app.accounts.models import User
from app.audit.service import record
from app.challenges import service as challenges
from app.challenges.models import Challenge, Phase
from app.challenges.web import OrganisedChallenge, organised_challenge_or_404
from app.core.redis import redis_client
from app.core.settings import Settings
from app.i18n.speech import gettext as _
from app.leaderboard.service import SPLITS
from app.organisers import dashboard, exports, metrics
from app.organisers.freeze import no_board
from app.queue.connection import judge_queue
from app.roles import service as roles
from app.roles.service import Scope
from app.web.deps import EngineDep, SessionDep, SettingsDep, StoreDep
from app.web.errors import Refused
from app.web.page import PageDep

router = APIRouter(tags=["operations"])
organise = APIRouter(dependencies=[Depends(require_organiser)])

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1"})


def _figures(db: Session, settings: Settings, only: set[int] | None = None) -> metrics.Figures:
    client = redis_client(settings)
    try:
        pools = [pool.name for pool in settings.pools]
        return metrics.collect(db, client, judge_queue(settings, client), only, pools)
    finally:
        client.close()


def _may_scrape(request: Request, settings: Settings) -> bool:
    if not settings.metrics_token:
        return request.client is not None and request.client.host in LOCAL_HOSTS
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        secret.strip().encode(), settings.metrics_token.encode()
    )


@router.get("/metrics", response_class=PlainTextResponse, name="metrics")
def metrics_text(request: Request, db: SessionDep, settings: SettingsDep) -> PlainTextResponse:
    if not _may_scrape(request, settings):
        raise HTTPException(
            403,
            "Send `Authorization: Bearer <MAREA_METRICS_TOKEN>`; without a token set, "
            "/metrics answers only from 127.0.0.1 or ::1.",
        )
    body = metrics.exposition(_figures(db, settings))
    return PlainTextResponse(body, media_type=metrics.CONTENT_TYPE)


@organise.get("/organise/dashboard", response_class=HTMLResponse, name="organise_dashboard")
def organise_dashboard(
    db: SessionDep, settings: SettingsDep, page: PageDep, scope: ScopeDep
) -> HTMLResponse:
    """Figures of the challenges the reader runs; the queue and workers are the site's."""
    only = roles.managed_ids(db, scope)
    figures = _figures(db, settings, only)
    series = dashboard.phase_series(db, only)
    it = page.lang == "it"
    chart = dashboard.render_series(
        series,
        title="Invii per fase nel tempo" if it else "Submissions per phase over time",
        empty="Ancora nessun invio." if it else "No submission yet.",
        axis="Ora (UTC)" if it else "Time (UTC)",
    )
    legend = [(s.label, s.total, dashboard.colour(i)) for i, s in enumerate(series)]
    turnout = dashboard.turnout(db, only)
    turnout_chart = dashboard.render_turnout(
        turnout,
        title=_("Teams and teams that submitted, per challenge"),
        teams=_("Teams"),
        submitted=_("Teams that submitted"),
    )
    return page.render(
        "organisers/dashboard.html",
        {
            "figures": figures,
            "chart": chart,
            "legend": legend,
            "users": dashboard.registered_users(db) if scope.admin else None,
            "turnout": turnout,
            "turnout_chart": turnout_chart,
            "turnout_colours": (dashboard.TEAMS_COLOUR, dashboard.SUBMITTED_COLOUR),
        },
    )


def _phase(db: Session, challenge: Challenge, name: str | None) -> Phase:
    assert challenge.id is not None
    phase = exports.phase_named(challenges.phases_of(db, challenge.id), name)
    if phase is None or phase.id is None:
        raise HTTPException(404, f"{challenge.slug!r} has no phase called {name!r}.")
    return phase


def _audit(db: Session, user: User, challenge: Challenge, what: str, **detail: Any) -> None:
    record(db, user, challenge.id, f"export.{what}", challenge.slug, detail)
    db.commit()


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _stream(table: exports.Table, fmt: str, name: str) -> StreamingResponse:
    chunks = exports.csv_chunks(table) if fmt == "csv" else exports.json_chunks(table)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8" if fmt == "csv" else "application/json",
        headers=_download(name),
    )


def _leaderboard(
    fmt: str, slug: str, user: User, db: Session, scope: Scope, phase: str | None, split: str
) -> StreamingResponse:
    """The split is checked before the challenge is looked up (400 before 404), so these
    two routes take `slug` rather than an `OrganisedChallenge`."""
    if split not in SPLITS:
        raise HTTPException(400, f"split must be one of {', '.join(SPLITS)}.")
    challenge = organised_challenge_or_404(db, scope, slug)
    refused = no_board(challenge)  # a project-only challenge: a jury ranks it, no board
    if refused is not None:
        raise Refused(refused)
    chosen = _phase(db, challenge, phase)
    table = exports.leaderboard_table(db, challenge, chosen, split)
    _audit(db, user, challenge, "leaderboard", format=fmt, phase=chosen.name, split=split)
    return _stream(table, fmt, f"{slug}-{chosen.name}-{split}-leaderboard.{fmt}")


@organise.get("/organise/{slug}/export/leaderboard.csv", name="export_leaderboard_csv")
def export_leaderboard_csv(
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    scope: ScopeDep,
    phase: str | None = None,
    split: str = "public",
) -> StreamingResponse:
    return _leaderboard("csv", slug, user, db, scope, phase, split)


@organise.get("/organise/{slug}/export/leaderboard.json", name="export_leaderboard_json")
def export_leaderboard_json(
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    scope: ScopeDep,
    phase: str | None = None,
    split: str = "public",
) -> StreamingResponse:
    return _leaderboard("json", slug, user, db, scope, phase, split)


def _submissions(
    fmt: str, challenge: Challenge, user: User, db: Session, engine: Any
) -> StreamingResponse:
    assert challenge.id is not None
    table = exports.submissions_table(engine, challenge.id)
    _audit(db, user, challenge, "submissions", format=fmt)
    return _stream(table, fmt, f"{challenge.slug}-submissions.{fmt}")


@organise.get("/organise/{slug}/export/submissions.csv", name="export_submissions_csv")
def export_submissions_csv(
    user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep, engine: EngineDep
) -> StreamingResponse:
    return _submissions("csv", challenge, user, db, engine)


@organise.get("/organise/{slug}/export/submissions.json", name="export_submissions_json")
def export_submissions_json(
    user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep, engine: EngineDep
) -> StreamingResponse:
    return _submissions("json", challenge, user, db, engine)


@organise.get("/organise/{slug}/export/submissions.zip", name="export_submissions_zip")
async def export_submissions_zip(
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    phase: str | None = None,
) -> StreamingResponse:
    """The archive is built in a worker thread into work_dir, then streamed and removed."""
    slug = challenge.slug
    chosen = _phase(db, challenge, phase)
    assert chosen.id is not None
    archive = await run_in_threadpool(
        exports.phase_archive, db, store, chosen.id, settings.work_dir
    )
    _audit(
        db,
        user,
        challenge,
        "archive",
        phase=chosen.name,
        files=len(archive.names),
        missing=len(archive.missing),
    )
    return StreamingResponse(
        exports.file_chunks(archive.path),
        media_type="application/zip",
        headers=_download(f"{slug}-{chosen.name}-submissions.zip"),
    )


router.include_router(organise)
