"""Receiving a submission over HTTP: the one upload path of the API and the web form.

Shared by `app.api.submissions` and `app.submissions.pages`, so it sits at their level (it
speaks HTTP: refusals are HTTPExceptions with the API's statuses, and it hands the accepted
submission to the queue); neither imports the other.
"""

from __future__ import annotations

import math

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Phase
from app.core.db import utcnow
from app.core.settings import Settings
from app.core.store import LocalStore
from app.queue.intake import submitted
from app.submissions.context import choose_phase, precheck, require_team, submit_context
from app.submissions.models import Submission
from app.submissions.quotas import QuotaRefusal
from app.submissions.service import SubmissionRefused
from app.submissions.upload import Upload, UploadProblem, accept_submission, receive_upload
from app.teams.models import Team

CONCURRENT_RETRY_S = 30
REFUSAL_STATUS = {
    "phase_closed": 409,
    "disqualified": 403,
    "not_approved": 403,
}


def problem(p: UploadProblem) -> HTTPException:
    return HTTPException(p.status, p.message)


def quota_error(refusal: QuotaRefusal) -> HTTPException:
    """429 with Retry-After in seconds when we know when the team may try again."""
    headers: dict[str, str] = {}
    if refusal.retry_at is not None:
        seconds = math.ceil((refusal.retry_at - utcnow()).total_seconds())
        headers["Retry-After"] = str(max(1, seconds))
    elif refusal.reason == "concurrent":
        headers["Retry-After"] = str(CONCURRENT_RETRY_S)
    return HTTPException(429, refusal.message, headers or None)


def refusal_error(refusal: SubmissionRefused) -> HTTPException:
    return HTTPException(REFUSAL_STATUS.get(refusal.reason, 403), refusal.message)


async def receive_submission(
    request: Request, user: User, slug: str, phase: str | None
) -> Submission:
    """The whole upload path shared by the API and the web form; raises HTTPException on refusal.

    Refusals that need no body (no team, phase closed, quota spent, declared size over the
    cap) come before a byte of the upload is read.
    """
    engine = request.app.state.engine
    settings: Settings = request.app.state.settings
    store: LocalStore = request.app.state.store
    assert user.id is not None
    user_id = user.id

    def before_upload() -> tuple[Phase | None, Team]:
        with Session(engine, expire_on_commit=False) as session:
            context = submit_context(session, slug, user_id)
            if isinstance(context, UploadProblem):
                raise problem(context)
            team = require_team(context)
            if isinstance(team, UploadProblem):
                raise problem(team)
            chosen = choose_phase(context, phase)
            if isinstance(chosen, UploadProblem):
                if phase is None and chosen.code == "phase_closed":
                    return None, team  # the form may still name a phase
                raise problem(chosen)
            refused = precheck(session, chosen, team)
            if isinstance(refused, QuotaRefusal):
                raise quota_error(refused)
            if isinstance(refused, UploadProblem):
                raise problem(refused)
            return chosen, team

    chosen, team = await run_in_threadpool(before_upload)
    picked: list[Phase] = []

    def phase_of_form(fields: dict[str, str]) -> None:
        """The phase the form names (if any), refused before the file is stored when closed."""
        form_phase = fields.get("phase", "").strip() or None
        if chosen is not None and form_phase in (None, chosen.name):
            picked.append(chosen)
            return
        with Session(engine, expire_on_commit=False) as session:
            context = submit_context(session, slug, user_id)
            if isinstance(context, UploadProblem):
                raise problem(context)
            named = choose_phase(context, form_phase)
            if isinstance(named, UploadProblem):
                raise problem(named)
            refused = precheck(session, named, team)
            if isinstance(refused, QuotaRefusal):
                raise quota_error(refused)
            if isinstance(refused, UploadProblem):
                raise problem(refused)
            picked.append(named)

    async def check_fields(fields: dict[str, str]) -> UploadProblem | None:
        await run_in_threadpool(phase_of_form, fields)
        return None

    upload = await receive_upload(
        request, store, max_bytes=settings.upload_max_bytes, check_fields=check_fields
    )
    if isinstance(upload, UploadProblem):
        raise problem(upload)
    made: Submission = await run_in_threadpool(_accept, request, user, picked[0], team, upload)
    return made


def _accept(request: Request, user: User, chosen: Phase, team: Team, upload: Upload) -> Submission:
    """Create the submission from a stored upload, then tell and dispatch; raises on refusal."""
    engine = request.app.state.engine
    settings: Settings = request.app.state.settings
    assert user.id is not None
    made = accept_submission(
        engine, settings, phase=chosen, team=team, user_id=user.id, upload=upload
    )
    if isinstance(made, QuotaRefusal):
        raise quota_error(made)
    if isinstance(made, SubmissionRefused):
        raise refusal_error(made)
    assert made.id is not None
    submitted(engine, settings, made.id)
    return made
