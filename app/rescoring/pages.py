"""/organise/{slug}/rescores: judge submissions again, compare, then apply or discard.

Starting a set only writes rows and hands the items to the rescore queue; the
workers judge them; the review page follows their progress live and shows old
beside new; applying is the one step that changes what participants see.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.deps import OrganiserUser
from app.challenges import service as challenges
from app.challenges.models import Challenge
from app.challenges.web import challenge_or_404
from app.core.redis import redis_client
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.queue.connection import rescore_queue
from app.queue.rescore_jobs import enqueue_pending
from app.rescoring import service as rescoring
from app.rescoring.models import RescoreItem, RescoreSet
from app.submissions.access import read_logs
from app.web.deps import LangDep, RowId, SessionDep, SettingsDep, TemplatesDep
from app.web.errors import status_of

router = APIRouter(prefix="/organise", tags=["organisers"])
log = logging.getLogger(__name__)


def _set_or_404(db: Session, challenge: Challenge, set_id: int) -> RescoreSet:
    rescore = db.get(RescoreSet, set_id)
    if rescore is None or rescore.challenge_id != challenge.id:
        raise HTTPException(404, f"This challenge has no rescore set number {set_id}.")
    return rescore


def _hand_over(engine: Engine, settings: Settings) -> None:
    """Best effort: when Redis is away, the workers' sweeper sends the items later."""
    try:
        enqueue_pending(engine, rescore_queue(settings, redis_client(settings)))
    except redis.RedisError as exc:
        log.warning("rescore items not handed over yet: %s", exc)


def _list_page(
    request: Request,
    db: Session,
    templates: Any,
    lang: str,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    sets = rescoring.sets_of(db, challenge.id)
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/rescores.html",
        {
            "lang": lang,
            "challenge": challenge,
            "phases": challenges.phases_of(db, challenge.id),
            "sets": [(s, rescoring.progress(db, s)) for s in sets],
            "problem": problem,
        },
        status_code=status,
    )
    return page


def _started(
    request: Request,
    db: Session,
    templates: Any,
    lang: str,
    settings: Settings,
    challenge: Challenge,
    outcome: RescoreSet | Refusal,
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _list_page(
            request, db, templates, lang, challenge, status=status, problem=outcome.message
        )
    db.commit()
    _hand_over(request.app.state.engine, settings)
    url = request.url_for("organise_rescore", slug=challenge.slug, set_id=outcome.id)
    return RedirectResponse(url.path, 303)


@router.get("/{slug}/rescores", response_class=HTMLResponse, name="organise_rescores")
def organise_rescores(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    return _list_page(request, db, templates, lang, challenge_or_404(db, slug))


@router.post("/{slug}/rescores", name="organise_rescore_phase")
def organise_rescore_phase(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    settings: SettingsDep,
    phase: str = Form(),
    reason: str = Form(""),
) -> Response:
    challenge = challenge_or_404(db, slug)
    outcome = rescoring.open_phase_set(db, user, challenge, phase, reason)
    return _started(request, db, templates, lang, settings, challenge, outcome)


@router.post("/{slug}/submissions/{submission_id}/rescore", name="organise_rescore_submission")
def organise_rescore_submission(
    request: Request,
    slug: str,
    submission_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    settings: SettingsDep,
    reason: str = Form(""),
) -> Response:
    challenge = challenge_or_404(db, slug)
    outcome = rescoring.open_submission_set(db, user, challenge, submission_id, reason)
    return _started(request, db, templates, lang, settings, challenge, outcome)


def _review_page(
    request: Request,
    db: Session,
    templates: Any,
    lang: str,
    challenge: Challenge,
    rescore: RescoreSet,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    rows = rescoring.review(db, rescore)
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/rescore.html",
        {
            "lang": lang,
            "challenge": challenge,
            "rescore": rescore,
            "progress": rescoring.progress(db, rescore),
            "rows": rows,
            "differing": sum(1 for row in rows if row.differs),
            "problem": problem,
        },
        status_code=status,
    )
    return page


@router.get("/{slug}/rescores/{set_id}", response_class=HTMLResponse, name="organise_rescore")
def organise_rescore(
    request: Request,
    slug: str,
    set_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    challenge = challenge_or_404(db, slug)
    return _review_page(request, db, templates, lang, challenge, _set_or_404(db, challenge, set_id))


@router.get("/{slug}/rescores/{set_id}/progress", name="organise_rescore_progress")
def organise_rescore_progress(
    slug: str, set_id: RowId, user: OrganiserUser, db: SessionDep
) -> JSONResponse:
    """Polled by the review page while the set is judged."""
    challenge = challenge_or_404(db, slug)
    rescore = _set_or_404(db, challenge, set_id)
    counts = rescoring.progress(db, rescore)
    return JSONResponse(
        {
            "status": str(rescore.status),
            "counts": {str(k): v for k, v in counts.items()},
            "total": sum(counts.values()),
        }
    )


def _decided(
    request: Request,
    db: Session,
    templates: Any,
    lang: str,
    challenge: Challenge,
    rescore: RescoreSet,
    outcome: object,
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        db.refresh(rescore)
        status = status_of(outcome)
        return _review_page(
            request, db, templates, lang, challenge, rescore, status=status, problem=outcome.message
        )
    db.commit()
    url = request.url_for("organise_rescore", slug=challenge.slug, set_id=rescore.id)
    return RedirectResponse(url.path, 303)


@router.post("/{slug}/rescores/{set_id}/apply", name="organise_rescore_apply")
def organise_rescore_apply(
    request: Request,
    slug: str,
    set_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> Response:
    challenge = challenge_or_404(db, slug)
    rescore = _set_or_404(db, challenge, set_id)
    outcome = rescoring.apply(db, user, challenge, rescore)
    # Applying writes an audit event, so every web process drops the challenge's boards when
    # it commits (app.live.announce): nothing more to tell here.
    return _decided(request, db, templates, lang, challenge, rescore, outcome)


@router.post("/{slug}/rescores/{set_id}/discard", name="organise_rescore_discard")
def organise_rescore_discard(
    request: Request,
    slug: str,
    set_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> Response:
    challenge = challenge_or_404(db, slug)
    rescore = _set_or_404(db, challenge, set_id)
    outcome = rescoring.discard(db, user, challenge, rescore)
    return _decided(request, db, templates, lang, challenge, rescore, outcome)


@router.get(
    "/{slug}/rescores/{set_id}/items/{item_id}/logs",
    response_class=HTMLResponse,
    name="organise_rescore_logs",
)
def organise_rescore_logs(
    request: Request,
    slug: str,
    set_id: RowId,
    item_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    """The new run's logs, both audiences: the organiser is checking a new scoring program."""
    challenge = challenge_or_404(db, slug)
    rescore = _set_or_404(db, challenge, set_id)
    item = db.get(RescoreItem, item_id)
    if item is None or item.set_id != rescore.id:
        raise HTTPException(404, f"Rescore set {set_id} has no item number {item_id}.")
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/rescore_logs.html",
        {
            "lang": lang,
            "challenge": challenge,
            "rescore": rescore,
            "item": item,
            "logs": read_logs(request.app.state.store, item.logs_sha256, organiser=True),
        },
    )
    return page
