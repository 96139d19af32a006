"""/organise: organisers' pages for loading, previewing, publishing and running a challenge.

Every route needs the organiser role (admins pass too); every change is written
to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.deps import OrganiserUser
from app.audit.service import events_for, record
from app.bundles.load import LoadOutcome
from app.challenges import service as challenges
from app.challenges.models import Challenge
from app.challenges.web import challenge_or_404
from app.core.db import utcnow
from app.core.redis import redis_client
from app.core.refusal import Refusal
from app.core.runtime import Runtime
from app.i18n import localise
from app.leaderboard.boards import final_count
from app.live.notify import notify_status
from app.organisers import freeze as freezing
from app.organisers import participation, service
from app.organisers.upload import (
    BundleErrors,
    load_uploaded_zip,
    uploaded_bundle,
)
from app.submissions.finals import first_reveal
from app.submissions.models import Submission
from app.text.markdown import render_markdown
from app.web.body_limit import takes_upload
from app.web.deps import LangDep, RowId, SessionDep, SettingsDep, TemplatesDep
from app.web.errors import status_of

router = APIRouter(prefix="/organise", tags=["organisers"])


def _back(request: Request, slug: str) -> RedirectResponse:
    return RedirectResponse(request.url_for("organise_challenge", slug=slug).path, 303)


def _index(
    request: Request,
    session: Session,
    templates: Any,
    lang: str,
    *,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/index.html",
        {"lang": lang, "challenges": service.all_challenges(session), **extra},
        status_code=status,
    )
    return page


@router.get("", response_class=HTMLResponse, name="organise_home")
def organise_home(
    request: Request, user: OrganiserUser, db: SessionDep, templates: TemplatesDep, lang: LangDep
) -> HTMLResponse:
    return _index(request, db, templates, lang)


@router.post("/upload", response_class=HTMLResponse, name="organise_upload")
@takes_upload
async def organise_upload(
    request: Request,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """The zip in the multipart field `bundle` (and the optional zip of hidden files in
    `hidden`), read here (not as parameters) so that the organiser is checked and the size
    capped before the body is read."""
    runtime = Runtime(settings, request.app.state.engine, request.app.state.store)
    zips = await uploaded_bundle(request, settings.upload_max_bytes)
    if isinstance(zips, Refusal):
        return _index(request, db, templates, lang, status=status_of(zips), problem=zips.message)
    bundle, hidden = zips.bundle, zips.hidden
    try:
        result = await run_in_threadpool(
            load_uploaded_zip,
            runtime,
            bundle.file,
            bundle.filename or "",
            hidden.file if hidden is not None else None,
            hidden.filename or "" if hidden is not None else "",
        )
    finally:
        await zips.close()
    if isinstance(result, Refusal):
        return _index(
            request, db, templates, lang, status=status_of(result), problem=result.message
        )
    if isinstance(result, BundleErrors):
        return _index(request, db, templates, lang, status=422, bundle_errors=result.errors)
    assert isinstance(result, LoadOutcome)
    challenge = challenge_or_404(db, result.slug)
    record(
        db,
        user,
        challenge.id,
        "bundle.upload",
        result.slug,
        {
            "action": result.action,
            "version": result.version,
            "filename": bundle.filename,
            "hidden_filename": hidden.filename if hidden is not None else None,
        },
    )
    db.commit()
    return _back(request, result.slug)


@router.get("/{slug}", response_class=HTMLResponse, name="organise_challenge")
def organise_challenge(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    challenge = challenge_or_404(db, slug)
    return _challenge_page(request, db, templates, lang, challenge)


def _challenge_page(
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
    now = utcnow()
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/challenge.html",
        {
            "lang": lang,
            "challenge": challenge,
            "phases": [
                (p, challenges.phase_state(p, now)) for p in challenges.phases_of(db, challenge.id)
            ],
            "queue": service.queue_figures(db, challenge.id),
            "finals_locked_at": first_reveal(db, challenge),
            "problem": problem,
        },
        status_code=status,
    )
    return page


@router.get("/{slug}/preview", response_class=HTMLResponse, name="organise_preview")
def organise_preview(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    page: str = "overview",
) -> HTMLResponse:
    """The public challenge page as it will look, drafts included."""
    challenge = challenge_or_404(db, slug)
    assert challenge.id is not None
    if page not in challenges.PAGE_NAMES:
        raise HTTPException(
            404, f"Unknown page {page!r}; choose one of {', '.join(challenges.PAGE_NAMES)}."
        )
    phases = challenges.phases_of(db, challenge.id)
    now = utcnow()
    rendered: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/preview.html",
        {
            "challenge": challenge,
            "lang": lang,
            "page": page,
            "page_names": challenges.PAGE_NAMES,
            "body": render_markdown(challenges.page_markdown(challenge, page, lang, phases)),
            "phases": [(p, challenges.phase_state(p, now)) for p in phases],
            "files": challenges.public_files(db, challenge.id) if page == "data" else [],
            "now": now,
            "source_html": render_markdown(localise(challenge.config.get("source"), lang)),
        },
    )
    return rendered


@router.post("/{slug}/publish", name="organise_publish")
def organise_publish(request: Request, slug: str, user: OrganiserUser, db: SessionDep) -> Response:
    service.set_published(db, user, challenge_or_404(db, slug), True)
    db.commit()
    return _back(request, slug)


@router.post("/{slug}/unpublish", name="organise_unpublish")
def organise_unpublish(
    request: Request, slug: str, user: OrganiserUser, db: SessionDep
) -> Response:
    service.set_published(db, user, challenge_or_404(db, slug), False)
    db.commit()
    return _back(request, slug)


@router.post("/{slug}/phases/{phase}", name="organise_phase_dates")
def organise_phase_dates(
    request: Request,
    slug: str,
    phase: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    start: str = Form(),
    end: str = Form(),
) -> Response:
    challenge = challenge_or_404(db, slug)
    db.rollback()  # the challenge lock must open the transaction
    outcome = service.change_phase_dates(db, user, challenge, phase, start, end)
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _challenge_page(
            request, db, templates, lang, challenge, status=status, problem=outcome.message
        )
    db.commit()
    return _back(request, slug)


@router.get("/{slug}/audit", response_class=HTMLResponse, name="organise_audit")
def organise_audit(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    challenge = challenge_or_404(db, slug)
    assert challenge.id is not None
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/audit.html",
        {"lang": lang, "challenge": challenge, "events": events_for(db, challenge.id)},
    )
    return page


def _participation_page(
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
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/participation.html",
        {
            "lang": lang,
            "challenge": challenge,
            "approval": bool((challenge.config.get("teams") or {}).get("approval")),
            "teams": participation.teams_of(db, challenge.id),
            "submissions": participation.recent_submissions(db, challenge.id),
            "problem": problem,
        },
        status_code=status,
    )
    return page


def _participation_done(
    request: Request,
    db: Session,
    templates: Any,
    lang: str,
    challenge: Challenge,
    outcome: object,
) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _participation_page(
            request, db, templates, lang, challenge, status=status, problem=outcome.message
        )
    db.commit()
    return RedirectResponse(
        request.url_for("organise_participation", slug=challenge.slug).path, 303
    )


@router.get("/{slug}/teams", response_class=HTMLResponse, name="organise_participation")
def organise_participation(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    return _participation_page(request, db, templates, lang, challenge_or_404(db, slug))


@router.post("/{slug}/teams/{team_id}/approve", name="organise_approve_team")
def organise_approve_team(
    request: Request,
    slug: str,
    team_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> Response:
    challenge = challenge_or_404(db, slug)
    outcome = participation.approve_team(db, user, challenge, team_id)
    return _participation_done(request, db, templates, lang, challenge, outcome)


@router.post("/{slug}/teams/{team_id}/disqualify", name="organise_disqualify_team")
def organise_disqualify_team(
    request: Request,
    slug: str,
    team_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    reason: str = Form(""),
) -> Response:
    challenge = challenge_or_404(db, slug)
    outcome = participation.disqualify_team(db, user, challenge, team_id, reason)
    return _participation_done(request, db, templates, lang, challenge, outcome)


@router.post("/{slug}/teams/{team_id}/reinstate", name="organise_reinstate_team")
def organise_reinstate_team(
    request: Request,
    slug: str,
    team_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> Response:
    challenge = challenge_or_404(db, slug)
    outcome = participation.reinstate_team(db, user, challenge, team_id)
    return _participation_done(request, db, templates, lang, challenge, outcome)


@router.post("/{slug}/submissions/{submission_id}/cancel", name="organise_cancel_submission")
def organise_cancel_submission(
    request: Request,
    slug: str,
    submission_id: RowId,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    reason: str = Form(""),
) -> Response:
    challenge = challenge_or_404(db, slug)
    outcome = participation.cancel_submission(db, user, challenge, submission_id, reason)
    response = _participation_done(request, db, templates, lang, challenge, outcome)
    if isinstance(outcome, Submission):  # committed: tell the team's live page
        settings = request.app.state.settings
        notify_status(request.app.state.engine, redis_client(settings), submission_id)
    return response


@router.post("/{slug}/freeze", name="organise_freeze")
def organise_freeze(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    at: str = Form(""),
) -> Response:
    """Freeze now, or at a given moment (a time in the past freezes the board as it was then)."""
    challenge = challenge_or_404(db, slug)
    when = service.parse_when(at) if at.strip() else None
    if isinstance(when, Refusal):
        return _challenge_page(
            request, db, templates, lang, challenge, status=422, problem=when.message
        )
    freezing.freeze(db, user, challenge, when)
    db.commit()
    return _back(request, slug)


@router.post("/{slug}/unfreeze", name="organise_unfreeze")
def organise_unfreeze(request: Request, slug: str, user: OrganiserUser, db: SessionDep) -> Response:
    freezing.unfreeze(db, user, challenge_or_404(db, slug))
    db.commit()
    return _back(request, slug)


def _reveal_page(
    request: Request,
    db: Session,
    templates: Any,
    lang: str,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    phases = freezing.exposure(db, challenge)
    page: HTMLResponse = templates.TemplateResponse(
        request,
        "organisers/reveal.html",
        {
            "lang": lang,
            "challenge": challenge,
            "phases": phases,
            "not_over": [e for e in phases if not e.over],
            "private_total": sum(e.private_scored for e in phases),
            "final_limit": final_count(challenge),
            "problem": problem,
        },
        status_code=status,
    )
    return page


@router.get("/{slug}/reveal", response_class=HTMLResponse, name="organise_reveal_confirm")
def organise_reveal_confirm(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
) -> HTMLResponse:
    """What revealing exposes and locks, with the button that does it."""
    return _reveal_page(request, db, templates, lang, challenge_or_404(db, slug))


@router.post("/{slug}/reveal", name="organise_reveal")
def organise_reveal(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    templates: TemplatesDep,
    lang: LangDep,
    confirm: str = Form(""),
    early: str = Form(""),
) -> Response:
    """Reveal after the confirmation page: `confirm`, and `early` while a phase is not over."""
    challenge = challenge_or_404(db, slug)
    db.rollback()  # the challenge lock must open the transaction
    refused = freezing.reveal(db, user, challenge, confirmed=confirm == "yes", early=early == "yes")
    if refused is not None:
        db.rollback()
        return _reveal_page(
            request,
            db,
            templates,
            lang,
            challenge,
            status=status_of(refused),
            problem=refused.message,
        )
    db.commit()
    return _back(request, slug)


@router.post("/{slug}/hide-private", name="organise_hide_private")
def organise_hide_private(
    request: Request, slug: str, user: OrganiserUser, db: SessionDep
) -> Response:
    """Hiding stays possible; the final choices stay locked (see `app.submissions.finals`).

    Like every audited action, the commit tells every web process to drop the
    challenge's state and boards (`app.live.announce`), so none keeps serving a
    cached private board.
    """
    freezing.hide_private(db, user, challenge_or_404(db, slug))
    db.commit()
    return _back(request, slug)
