"""/organise/{slug}/log-excerpts: organisers approve what a team may read of its run's log.

Only for code phases whose log policy is `excerpt`: the organiser reads the
whole log beside exactly what the team would see, and approves it (audit-logged);
until then the team sees no log text at all. See app/organisers/log_excerpts.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from app.accounts.deps import OrganiserUser, require_organiser
from app.challenges import service as challenges
from app.challenges.models import Challenge
from app.challenges.web import OrganisedChallenge
from app.core.refusal import Refusal
from app.core.store import Store
from app.organisers import log_excerpts
from app.submissions.access import read_logs
from app.submissions.log_policy import phase_log_policy
from app.submissions.models import FINAL_STATUSES, LogExcerpt, Submission
from app.teams.models import Team
from app.web.deps import RowId, SessionDep, StoreDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(
    prefix="/organise", tags=["organisers"], dependencies=[Depends(require_organiser)]
)
LIST_LIMIT = 200


def _submission_or_404(db: Session, challenge: Challenge, submission_id: int) -> Submission:
    submission = db.get(Submission, submission_id)
    if submission is None or submission.challenge_id != challenge.id:
        raise HTTPException(404, f"This challenge has no submission number {submission_id}.")
    return submission


@router.get("/{slug}/log-excerpts", response_class=HTMLResponse, name="organise_log_excerpts")
def organise_log_excerpts(
    challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    """The judged runs of `excerpt` phases, newest first, those still to review on top."""
    assert challenge.id is not None
    phases = [
        p
        for p in challenges.phases_of(db, challenge.id)
        if phase_log_policy(challenge.config, p).mode == "excerpt"
    ]
    rows: list[tuple[Submission, str, bool]] = []
    if phases:
        found = db.exec(
            select(Submission, Team.name)
            .join(Team, col(Team.id) == col(Submission.team_id))
            .where(
                col(Submission.phase_id).in_([p.id for p in phases]),
                col(Submission.status).in_(list(FINAL_STATUSES)),
                col(Submission.logs_sha256).is_not(None),
            )
            .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
            .limit(LIST_LIMIT)
        ).all()
        ids = [s.id for s, _ in found]
        approved = {
            (e.submission_id, e.logs_sha256)
            for e in db.exec(select(LogExcerpt).where(col(LogExcerpt.submission_id).in_(ids)))
        }
        rows = [(s, name, (s.id, s.logs_sha256) in approved) for s, name in found]
        rows.sort(key=lambda row: row[2])  # stable: to review first, each group newest first
    return page.render(
        "organisers/log_excerpts.html", {"challenge": challenge, "phases": phases, "rows": rows}
    )


def _review_page(
    page: Page,
    db: Session,
    store: Store,
    challenge: Challenge,
    submission: Submission,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    logs = read_logs(store, submission.logs_sha256, organiser=True)
    team = db.get(Team, submission.team_id)
    return page.render(
        "organisers/log_excerpt.html",
        {
            "challenge": challenge,
            "s": submission,
            "team": team,
            "logs": logs,
            "review": log_excerpts.review_of(db, challenge, submission, logs),
            "problem": problem,
            "saved": page.request.query_params.get("approved") == "1",
        },
        status=status,
    )


@router.get(
    "/{slug}/submissions/{submission_id}/log-excerpt",
    response_class=HTMLResponse,
    name="organise_log_excerpt",
)
def organise_log_excerpt(
    submission_id: RowId,
    challenge: OrganisedChallenge,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
) -> HTMLResponse:
    """The whole log beside the excerpt the team would read, and the approval form."""
    submission = _submission_or_404(db, challenge, submission_id)
    return _review_page(page, db, store, challenge, submission)


@router.post("/{slug}/submissions/{submission_id}/log-excerpt", name="organise_approve_log_excerpt")
def organise_approve_log_excerpt(
    request: Request,
    submission_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    store: StoreDep,
    page: PageDep,
    excerpt_sha256: str = Form(""),
) -> Response:
    """Approve the excerpt the form names by digest: the team then reads exactly that text."""
    submission = _submission_or_404(db, challenge, submission_id)
    logs = read_logs(store, submission.logs_sha256, organiser=True)
    outcome = log_excerpts.approve(
        db, user, challenge, submission, logs, excerpt_sha256.strip().lower()
    )
    if isinstance(outcome, Refusal):
        db.rollback()
        return _review_page(
            page,
            db,
            store,
            challenge,
            submission,
            status=status_of(outcome),
            problem=outcome.message,
        )
    db.commit()
    url = request.url_for("organise_log_excerpt", slug=challenge.slug, submission_id=submission_id)
    return RedirectResponse(f"{url.path}?approved=1", 303)
