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
from app.core.redis import redis_client
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.leaderboard.boards import final_count
from app.queue.live_logs import read_live_tail
from app.submissions.access import (
    SubmissionView,
    is_member,
    team_submissions,
    view_of,
    visible_submission,
)
from app.submissions.cancelling import withdraw
from app.submissions.context import quota_left, submit_context
from app.submissions.finals import FinalsLock, finals_lock, set_final
from app.submissions.models import Status, Submission
from app.submissions.overview import board_columns, compare, visible_scores, visible_splits
from app.submissions.service import PROJECT_KIND
from app.submissions.waiting import code_run, waiting_of
from app.submissions.web import announce, receive_submission
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
    running = [p for p in context.phases if challenges.phase_state(p) == "open"]
    # A project phase takes a project (its own form), never an upload here.
    open_phases = [p for p in running if p.kind != PROJECT_KIND]
    quotas = []
    if context.team is not None and context.team.id is not None:
        quotas = [(p, quota_left(session, p, context.team.id)) for p in open_phases]
    return page.render(
        "submissions/submit.html",
        {
            "challenge": context.challenge,
            "team": context.team,
            "open_phases": open_phases,
            "project_phases": [p for p in running if p.kind == PROJECT_KIND],
            "quotas": quotas,
            "error": error,
            "max_bytes": max_bytes,
            "runs": [(p, code_run(context.challenge.config, p)) for p in open_phases],
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


@router.get("/submissions/{submission_id}", response_class=HTMLResponse, name="submission_page")
def submission_page(
    submission_id: RowId,
    user: CurrentUser,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
    settings: SettingsDep,
    cancelled: bool = False,
) -> HTMLResponse:
    view = view_of(db, store, user, _visible_or_404(db, user, submission_id))
    context = _view_context(db, user, view)
    context["cancelled_now"] = cancelled and view.submission.status == Status.cancelled
    context["live_log"] = _live_log(settings, user, view)
    return page.render("submissions/detail.html", context)


def _live_log(settings: Settings, user: User, view: SubmissionView) -> str | None:
    """The running program's output so far, where the phase's log policy lets the reader see it.

    The worker writes it only under such a policy (`app.queue.jobs`); the policy is checked
    again here, as for stored logs, so a policy tightened mid-run hides it at once.
    """
    s = view.submission
    if s.id is None or s.status != Status.running or s.kind != "code":
        return None
    if not (view.log_policy.team_sees_output or view.organiser):
        return None
    try:
        client = redis_client(settings)
    except Exception:  # no Redis configured: no live view
        return None
    return read_live_tail(client, s.id)


def _view_context(
    db: Session,
    user: User,
    view: Any,
    final_problem: str | None = None,
    cancel_problem: bool = False,
) -> dict[str, Any]:
    assert user.id is not None
    member = is_member(db, view.submission.team_id, user.id)
    return {
        "view": view,
        "s": view.submission,
        "columns": board_columns(view.challenge.config),
        "can_choose_final": member,
        "can_cancel": member and view.submission.status == Status.queued,
        "cancel_problem": cancel_problem,
        "waiting": waiting_of(db, view.submission, view.phase),
        "organiser": view.organiser,
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
    submission_id: RowId,
    user: CurrentUser,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The result part of the page alone, fetched by submission.js on every change of status
    and every few seconds while the submission waits or runs (position, time, live output)."""
    view = view_of(db, store, user, _visible_or_404(db, user, submission_id))
    context = _view_context(db, user, view)
    context["live_log"] = _live_log(settings, user, view)
    return page.render("submissions/_result.html", context)


@router.get(
    "/challenges/{slug}/submissions", response_class=HTMLResponse, name="team_submissions_page"
)
def submissions_list(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    html: PageDep,
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    saved: bool = False,
) -> HTMLResponse:
    return _list_page(html, db, slug, user, before, saved=saved)


@router.post("/submissions/{submission_id}/cancel", name="submission_cancel")
def submission_cancel(
    request: Request,
    submission_id: RowId,
    user: CurrentUser,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """Withdraw a queued submission of the caller's team (`app.submissions.cancelling`).

    Refused with 409 and the page again once a worker has started it; the live pages
    watching it hear of the cancel like of any other change of status.
    """
    assert user.id is not None
    submission = _visible_or_404(db, user, submission_id)
    if not is_member(db, submission.team_id, user.id):
        raise HTTPException(404, f"No submission {submission_id} of your team exists.")
    outcome = withdraw(db, submission, user)
    if isinstance(outcome, Refusal):
        db.rollback()
        view = view_of(db, store, user, submission)
        return page.render(
            "submissions/detail.html",
            _view_context(db, user, view, cancel_problem=True),
            status=status_of(outcome),
        )
    db.commit()
    announce(engine, settings, submission_id)
    return RedirectResponse(
        request.url_for("submission_page", submission_id=submission_id).path + "?cancelled=1", 303
    )


def _final_rows(
    db: Session, challenge: Challenge, items: list[Submission], phases: dict[Any, Any]
) -> dict[int, FinalsLock | None]:
    """The lock of every phase on the page (None: its choices may change now)."""
    return {
        pid: finals_lock(db, challenge, phases[pid])
        for pid in {s.phase_id for s in items}
        if pid in phases
    }


def _list_page(
    html: Page,
    db: Session,
    slug: str,
    user: User,
    before: int | None,
    *,
    saved: bool = False,
    problem: Refusal | None = None,
) -> HTMLResponse:
    context = _context_or_404(db, slug, user)
    challenge = context.challenge
    phases = {p.id: p for p in context.phases}
    page = None
    scores: dict[int, Any] = {}
    locks: dict[int, FinalsLock | None] = {}
    if context.team is not None and context.team.id is not None:
        page = team_submissions(db, context.team.id, before=before)
        ids = [s.id for s in page.items if s.id is not None]
        scores = visible_scores(db, challenge, user, ids)
        locks = _final_rows(db, challenge, page.items, phases)
    return html.render(
        "submissions/list.html",
        {
            "challenge": challenge,
            "team": context.team,
            "page": page,
            "phases": phases,
            "before": before,
            "columns": board_columns(challenge.config),
            "splits": visible_splits(db, challenge, user),
            "scores": scores,
            "locks": locks,
            "final_limit": final_count(challenge),
            "saved": saved,
            "problem": problem,
        },
        status=status_of(problem) if problem is not None else 200,
    )


@router.post("/challenges/{slug}/submissions/finals", name="team_finals")
def team_finals(
    request: Request,
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    html: PageDep,
    shown: list[int] = Form(default_factory=list),
    final: list[int] = Form(default_factory=list),
    before: int | None = Form(None, ge=1, le=MAX_ROW_ID),
) -> Response:
    """Save the ticks of the list's final column in one go: all of them, or none.

    `shown` names the rows that had a tick box, so a row of another page (or one
    that was not scored) is never unchosen by being absent. Each change goes
    through `set_final` (team lock, phase and reveal lock, at most N), unchosen
    first so a swap within the limit succeeds; any refusal undoes the whole form.
    """
    assert user.id is not None
    context = _context_or_404(db, slug, user)
    team = context.team
    if team is None or team.id is None:
        raise HTTPException(404, "You have no team in this challenge.")
    wanted = set(final)
    changes: list[tuple[Submission, bool]] = []
    for sid in dict.fromkeys(shown):
        submission = db.get(Submission, sid)
        if submission is None or submission.team_id != team.id:
            raise HTTPException(404, f"No submission {sid} of your team exists.")
        if submission.selected_final != (sid in wanted):
            changes.append((submission, sid in wanted))
    changes.sort(key=lambda change: change[1])  # unchoose before choosing
    challenge = context.challenge
    db.rollback()  # the team lock must open the transaction
    for submission, selected in changes:
        outcome = set_final(db, challenge, submission, selected, user)
        if isinstance(outcome, Refusal):
            db.rollback()
            return _list_page(html, db, slug, user, before, problem=outcome)
    db.commit()
    url = request.url_for("team_submissions_page", slug=slug).path + "?saved=1"
    if before is not None:
        url += f"&before={before}"
    return RedirectResponse(url, 303)


@router.get(
    "/challenges/{slug}/submissions/compare",
    response_class=HTMLResponse,
    name="submissions_compare",
)
def submissions_compare(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    html: PageDep,
    s: list[int] = Query(default_factory=list, max_length=10),
) -> HTMLResponse:
    """Two submissions side by side: every visible score with its difference, and the facts."""
    challenge = _context_or_404(db, slug, user).challenge
    outcome = compare(db, user, challenge, [i for i in s if 0 < i <= MAX_ROW_ID])
    if isinstance(outcome, Refusal):
        return html.render(
            "submissions/compare.html",
            {"challenge": challenge, "cmp": None, "problem": outcome},
            status=status_of(outcome),
        )
    return html.render("submissions/compare.html", {"challenge": challenge, "cmp": outcome})
