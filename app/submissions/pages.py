"""Submission pages: the upload form, one submission (live), the team's list.

The form works as a plain multipart POST; submit.js only adds drag and drop
and a progress bar, asking for JSON (`Accept: application/json`) so it can
show a refusal in place. Both go through the API's single upload path.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.deps import CurrentUser
from app.accounts.models import User
from app.challenges import service as challenges
from app.challenges.models import Challenge
from app.core.db import MAX_ROW_ID
from app.core.refusal import Refusal
from app.leaderboard.boards import final_count
from app.leaderboard.ranking import BoardSpec
from app.submissions.access import (
    is_member,
    is_organiser,
    team_submissions,
    view_of,
    visible_submission,
)
from app.submissions.context import quota_left, submit_context
from app.submissions.finals import finals_lock, set_final
from app.submissions.web import receive_submission
from app.web.body_limit import takes_upload
from app.web.deps import EngineDep, RowId, SessionDep, SettingsDep, StoreDep
from app.web.errors import status_of, unwrap
from app.web.page import Page, PageDep

router = APIRouter()


def _context_or_404(session: Session, slug: str, user: User) -> Any:
    assert user.id is not None
    return unwrap(submit_context(session, slug, user.id))


def _form_page(
    page: Page,
    session: Session,
    slug: str,
    user: User,
    max_bytes: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = _context_or_404(session, slug, user)
    open_phases = [p for p in context.phases if challenges.phase_state(p) == "open"]
    quotas = []
    if context.team is not None and context.team.id is not None:
        quotas = [(p, quota_left(session, p, context.team.id)) for p in open_phases]
    return page.render(
        "submissions/submit.html",
        {
            "challenge": context.challenge,
            "team": context.team,
            "open_phases": open_phases,
            "quotas": quotas,
            "error": error,
            "max_bytes": max_bytes,
        },
        status=status_code,
    )


@router.get("/challenges/{slug}/submit", response_class=HTMLResponse, name="submit_page")
def submit_page(
    slug: str, user: CurrentUser, db: SessionDep, page: PageDep, settings: SettingsDep
) -> HTMLResponse:
    return _form_page(page, db, slug, user, settings.upload_max_bytes)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/challenges/{slug}/submit", name="submit_upload")
@takes_upload
async def submit_upload(
    request: Request,
    slug: str,
    user: CurrentUser,
    page: PageDep,
    settings: SettingsDep,
    engine: EngineDep,
    store: StoreDep,
) -> Response:
    try:
        made = await receive_submission(
            request, user, slug, None, engine=engine, settings=settings, store=store
        )
    except HTTPException as exc:
        message = exc.detail if isinstance(exc.detail, str) else "The upload was refused."
        if _wants_json(request):
            return JSONResponse(
                {"error": {"status": exc.status_code, "message": message}},
                status_code=exc.status_code,
                headers=exc.headers,
            )
        if exc.status_code == 404 and "challenge" in message:
            raise
        with Session(engine, expire_on_commit=False) as session:
            form = _form_page(
                page,
                session,
                slug,
                user,
                settings.upload_max_bytes,
                error=message,
                status_code=exc.status_code,
            )
        if exc.headers:
            form.headers.update(exc.headers)
        return form
    url = str(request.url_for("submission_page", submission_id=made.id))
    if _wants_json(request):
        return JSONResponse({"id": made.id, "redirect": url}, status_code=201)
    return RedirectResponse(url, status_code=303)


def _visible_or_404(session: Session, user: User, submission_id: int) -> Any:
    submission = visible_submission(session, user, submission_id)
    if submission is None:
        raise HTTPException(404, f"No submission {submission_id} of yours exists.")
    return submission


def _columns(config: dict[str, Any]) -> list[Any]:
    try:
        return list(BoardSpec.from_config(config).columns)
    except (KeyError, TypeError):
        return []


@router.get("/submissions/{submission_id}", response_class=HTMLResponse, name="submission_page")
def submission_page(
    submission_id: RowId, user: CurrentUser, db: SessionDep, store: StoreDep, page: PageDep
) -> HTMLResponse:
    view = view_of(db, store, user, _visible_or_404(db, user, submission_id))
    return page.render("submissions/detail.html", _view_context(db, user, view))


def _view_context(
    db: Session, user: User, view: Any, final_problem: str | None = None
) -> dict[str, Any]:
    assert user.id is not None
    return {
        "view": view,
        "s": view.submission,
        "columns": _columns(view.challenge.config),
        "can_choose_final": is_member(db, view.submission.team_id, user.id),
        "organiser": is_organiser(user),
        "final_limit": final_count(view.challenge),
        "final_lock": finals_lock(db, view.challenge, view.phase),
        "final_problem": final_problem,
    }


@router.post("/submissions/{submission_id}/final", name="submission_final")
def submission_final(
    request: Request,
    submission_id: RowId,
    user: CurrentUser,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
    selected: str = Form("1"),
) -> Response:
    """Choose or unchoose this submission as one of the team's finals (members only).

    Refused (409, the page with the locked choice) once its phase has ended or
    the private board has been revealed: see `app.submissions.finals`.
    """
    assert user.id is not None
    submission = _visible_or_404(db, user, submission_id)
    if not is_member(db, submission.team_id, user.id):
        raise HTTPException(404, f"No submission {submission_id} of your team exists.")
    challenge = db.get(Challenge, submission.challenge_id)
    assert challenge is not None
    db.rollback()  # the team lock must open the transaction
    outcome = set_final(db, challenge, submission, selected == "1", user)
    if isinstance(outcome, Refusal):
        db.rollback()
        view = view_of(db, store, user, submission)
        return page.render(
            "submissions/detail.html",
            _view_context(db, user, view, final_problem=outcome.message),
            status=status_of(outcome),
        )
    db.commit()
    return RedirectResponse(
        request.url_for("submission_page", submission_id=submission_id).path, 303
    )


@router.get(
    "/submissions/{submission_id}/result",
    response_class=HTMLResponse,
    name="submission_result_fragment",
)
def submission_result(
    submission_id: RowId, user: CurrentUser, db: SessionDep, store: StoreDep, page: PageDep
) -> HTMLResponse:
    """The result part of the page alone, fetched by submission.js when the status is final."""
    view = view_of(db, store, user, _visible_or_404(db, user, submission_id))
    return page.render("submissions/_result.html", _view_context(db, user, view))


@router.get(
    "/challenges/{slug}/submissions", response_class=HTMLResponse, name="team_submissions_page"
)
def submissions_list(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    html: PageDep,
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
) -> HTMLResponse:
    context = _context_or_404(db, slug, user)
    page = None
    if context.team is not None and context.team.id is not None:
        page = team_submissions(db, context.team.id, before=before)
    return html.render(
        "submissions/list.html",
        {
            "challenge": context.challenge,
            "team": context.team,
            "page": page,
            "phases": {p.id: p for p in context.phases},
            "before": before,
        },
    )
