"""/organise/{slug}/rescores: judge submissions again, compare, then apply or discard.

Starting a set only writes rows and hands the items to the rescore queue; the
workers judge them; the review page follows their progress live and shows old
beside new; applying is the one step that changes what participants see.
"""

from __future__ import annotations

import logging

import redis
from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.deps import OrganiserUser, require_organiser
from app.challenges import service as challenges
from app.challenges.models import Challenge
from app.challenges.web import OrganisedChallenge
from app.core.redis import redis_client
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.queue.connection import rescore_queue
from app.queue.rescore_jobs import enqueue_pending
from app.rescoring import service as rescoring
from app.rescoring.models import RescoreItem, RescoreSet
from app.submissions.access import read_logs
from app.web.deps import EngineDep, RowId, SessionDep, SettingsDep, StoreDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(
    prefix="/organise", tags=["organisers"], dependencies=[Depends(require_organiser)]
)
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
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    sets = rescoring.sets_of(db, challenge.id)
    return page.render(
        "organisers/rescores.html",
        {
            "challenge": challenge,
            "phases": challenges.phases_of(db, challenge.id),
            "sets": [(s, rescoring.progress(db, s)) for s in sets],
            "problem": problem,
        },
        status=status,
    )


def _started(
    page: Page,
    db: Session,
    engine: Engine,
    settings: Settings,
    challenge: Challenge,
    outcome: RescoreSet | Refusal,
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _list_page(page, db, challenge, status=status, problem=outcome.message)
    db.commit()
    _hand_over(engine, settings)
    url = page.request.url_for("organise_rescore", slug=challenge.slug, set_id=outcome.id)
    return RedirectResponse(url.path, 303)


@router.get("/{slug}/rescores", response_class=HTMLResponse, name="organise_rescores")
def organise_rescores(challenge: OrganisedChallenge, db: SessionDep, page: PageDep) -> HTMLResponse:
    return _list_page(page, db, challenge)


@router.post("/{slug}/rescores", name="organise_rescore_phase")
def organise_rescore_phase(
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    engine: EngineDep,
    settings: SettingsDep,
    phase: str = Form(),
    reason: str = Form(""),
) -> Response:
    outcome = rescoring.open_phase_set(db, user, challenge, phase, reason)
    return _started(page, db, engine, settings, challenge, outcome)


@router.post("/{slug}/submissions/{submission_id}/rescore", name="organise_rescore_submission")
def organise_rescore_submission(
    submission_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    engine: EngineDep,
    settings: SettingsDep,
    reason: str = Form(""),
) -> Response:
    outcome = rescoring.open_submission_set(db, user, challenge, submission_id, reason)
    return _started(page, db, engine, settings, challenge, outcome)


def _review_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    rescore: RescoreSet,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    rows = rescoring.review(db, rescore)
    return page.render(
        "organisers/rescore.html",
        {
            "challenge": challenge,
            "rescore": rescore,
            "progress": rescoring.progress(db, rescore),
            "rows": rows,
            "differing": sum(1 for row in rows if row.differs),
            "problem": problem,
        },
        status=status,
    )


@router.get("/{slug}/rescores/{set_id}", response_class=HTMLResponse, name="organise_rescore")
def organise_rescore(
    set_id: RowId, challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _review_page(page, db, challenge, _set_or_404(db, challenge, set_id))


@router.get("/{slug}/rescores/{set_id}/progress", name="organise_rescore_progress")
def organise_rescore_progress(
    set_id: RowId, challenge: OrganisedChallenge, db: SessionDep
) -> JSONResponse:
    """Polled by the review page while the set is judged."""
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
    page: Page, db: Session, challenge: Challenge, rescore: RescoreSet, outcome: object
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        db.refresh(rescore)
        status = status_of(outcome)
        return _review_page(page, db, challenge, rescore, status=status, problem=outcome.message)
    db.commit()
    url = page.request.url_for("organise_rescore", slug=challenge.slug, set_id=rescore.id)
    return RedirectResponse(url.path, 303)


@router.post("/{slug}/rescores/{set_id}/apply", name="organise_rescore_apply")
def organise_rescore_apply(
    set_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
) -> Response:
    rescore = _set_or_404(db, challenge, set_id)
    outcome = rescoring.apply(db, user, challenge, rescore)
    # Applying writes an audit event, so every web process drops the challenge's boards when
    # it commits (app.live.announce): nothing more to tell here.
    return _decided(page, db, challenge, rescore, outcome)


@router.post("/{slug}/rescores/{set_id}/discard", name="organise_rescore_discard")
def organise_rescore_discard(
    set_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
) -> Response:
    rescore = _set_or_404(db, challenge, set_id)
    outcome = rescoring.discard(db, user, challenge, rescore)
    return _decided(page, db, challenge, rescore, outcome)


@router.get(
    "/{slug}/rescores/{set_id}/items/{item_id}/logs",
    response_class=HTMLResponse,
    name="organise_rescore_logs",
)
def organise_rescore_logs(
    set_id: RowId,
    item_id: RowId,
    challenge: OrganisedChallenge,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
) -> HTMLResponse:
    """The new run's logs, both audiences: the organiser is checking a new scoring program."""
    rescore = _set_or_404(db, challenge, set_id)
    item = db.get(RescoreItem, item_id)
    if item is None or item.set_id != rescore.id:
        raise HTTPException(404, f"Rescore set {set_id} has no item number {item_id}.")
    return page.render(
        "organisers/rescore_logs.html",
        {
            "challenge": challenge,
            "rescore": rescore,
            "item": item,
            "logs": read_logs(store, item.logs_sha256, organiser=True),
        },
    )
