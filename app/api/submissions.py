"""/api/v1 submissions: upload (multipart, streamed), read, list the team's, follow live.

Anyone who is neither in the submission's team nor an organiser gets a 404,
exactly as for a submission that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from sqlmodel import Session

from app.accounts.deps import CurrentUser, SubmitUser
from app.accounts.models import User
from app.api.schemas import (
    ErrorBody,
    StatusChangeOut,
    SubmissionDetailOut,
    SubmissionListOut,
    TeamRef,
)
from app.challenges.models import Challenge, Phase
from app.core.db import MAX_ROW_ID
from app.core.refusal import Refusal
from app.core.store import Store
from app.live import sse
from app.live.events import submission_channel
from app.live.hub import EventHub
from app.submissions.access import (
    current_scores_of,
    is_member,
    team_submissions,
    view_of,
    visible_submission,
)
from app.submissions.cancelling import withdraw
from app.submissions.context import choose_phase, require_team, submit_context
from app.submissions.finals import set_final
from app.submissions.models import FINAL_STATUSES, Submission
from app.submissions.web import announce, receive_submission
from app.teams.models import Team
from app.web.body_limit import takes_upload
from app.web.deps import EngineDep, RowId, SettingsDep, StoreDep
from app.web.errors import Refused, unwrap

router = APIRouter(
    prefix="/api/v1",
    tags=["submissions"],
    responses={404: {"model": ErrorBody}, 401: {"model": ErrorBody}},
)

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The file."},
                    "description": {"type": "string", "maxLength": 2000},
                    "link": {"type": "string", "maxLength": 500, "description": "https:// only"},
                    "phase": {"type": "string", "description": "Default: the open phase."},
                },
            }
        }
    },
}


def submission_out(
    request: Request, s: Submission, challenge: Challenge, phase: Phase, team: Team, scores: Any
) -> dict[str, Any]:
    assert s.id is not None and team.id is not None
    return {
        "id": s.id,
        "challenge": challenge.slug,
        "phase": phase.name,
        "team": TeamRef(id=team.id, name=team.name),
        "status": str(s.status),
        "failure": s.failure,
        "message": s.message,
        "filename": s.filename,
        "size": s.size,
        "sha256": s.file_sha256,
        "description": s.description,
        "link": s.link,
        "created_at": s.created_at,
        "started_at": s.started_at,
        "finished_at": s.finished_at,
        "duration_s": s.duration_s,
        "scores": scores,
        "selected_final": s.selected_final,
        "url": str(request.url_for("submission_page", submission_id=s.id)),
    }


def detail_out(
    request: Request, session: Session, store: Store, user: User, s: Submission
) -> dict[str, Any]:
    view = view_of(session, store, user, s)
    return {
        **submission_out(request, s, view.challenge, view.phase, view.team, view.scores),
        "history": [
            StatusChangeOut(status=h.status, at=h.at, detail=h.detail) for h in view.history
        ],
        "logs": view.logs,
        "private_hidden": view.private_hidden,
    }


@router.post(
    "/challenges/{slug}/submissions",
    status_code=201,
    response_model=SubmissionDetailOut,
    responses={
        403: {"model": ErrorBody},
        409: {"model": ErrorBody},
        413: {"model": ErrorBody},
        415: {"model": ErrorBody},
        429: {"model": ErrorBody},
    },
    # The body is streamed by hand (see upload.py), so FastAPI cannot infer it; described here
    # for the API docs and for clients generated from the schema.
    openapi_extra={"requestBody": UPLOAD_BODY},
)
@takes_upload
async def create(
    request: Request,
    slug: str,
    user: SubmitUser,
    engine: EngineDep,
    store: StoreDep,
    settings: SettingsDep,
    phase: str | None = Query(None, description="Phase name; default: the open phase."),
) -> JSONResponse:
    """Upload a file as multipart/form-data (`file`, optional `description`, `link`, `phase`)."""
    made = await receive_submission(
        request, user, slug, phase, engine=engine, settings=settings, store=store
    )

    def body() -> dict[str, Any]:
        with Session(engine, expire_on_commit=False) as session:
            fresh = session.get(Submission, made.id)
            assert fresh is not None
            out = SubmissionDetailOut.model_validate(
                detail_out(request, session, store, user, fresh)
            )
        return out.model_dump(mode="json")

    return JSONResponse(await run_in_threadpool(body), status_code=201)


@router.get("/submissions/{submission_id}", response_model=SubmissionDetailOut)
def get_submission(
    request: Request,
    submission_id: RowId,
    user: CurrentUser,
    engine: EngineDep,
    store: StoreDep,
) -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as session:
        submission = visible_submission(session, user, submission_id)
        if submission is None:
            raise HTTPException(404, f"No submission {submission_id} of yours exists.")
        return detail_out(request, session, store, user, submission)


class FinalChoice(BaseModel):
    selected: bool


@router.post(
    "/submissions/{submission_id}/final",
    response_model=SubmissionDetailOut,
    responses={409: {"model": ErrorBody}},
)
def choose_final(
    request: Request,
    submission_id: RowId,
    choice: FinalChoice,
    user: SubmitUser,
    engine: EngineDep,
    store: StoreDep,
) -> dict[str, Any]:
    """Choose (or unchoose) a submission as one of the team's finals for the private board.

    Only while its phase is open and the private board has never been revealed;
    afterwards 409, saying when the choices closed (`app.submissions.finals`).
    """
    assert user.id is not None
    with Session(engine, expire_on_commit=False) as session:
        submission = visible_submission(session, user, submission_id)
        if submission is None or not is_member(session, submission.team_id, user.id):
            raise HTTPException(404, f"No submission {submission_id} of your team exists.")
        challenge = session.get(Challenge, submission.challenge_id)
        assert challenge is not None
        session.rollback()  # the team lock must open the transaction
        result = set_final(session, challenge, submission, choice.selected, user)
        if isinstance(result, Refusal):
            session.rollback()
            raise Refused(result)
        session.commit()
        return detail_out(request, session, store, user, result)


@router.post(
    "/submissions/{submission_id}/cancel",
    response_model=SubmissionDetailOut,
    responses={409: {"model": ErrorBody}},
)
def cancel_submission(
    request: Request,
    submission_id: RowId,
    user: SubmitUser,
    engine: EngineDep,
    store: StoreDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Cancel a submission of your team that still waits in the queue.

    409 once a worker has started judging it (the cancel and the start are one guarded
    change of its status: exactly one of them happens). A cancelled submission is never
    judged and does not count against the daily or total quota.
    """
    assert user.id is not None
    with Session(engine, expire_on_commit=False) as session:
        submission = visible_submission(session, user, submission_id)
        if submission is None or not is_member(session, submission.team_id, user.id):
            raise HTTPException(404, f"No submission {submission_id} of your team exists.")
        result = withdraw(session, submission, user)
        if isinstance(result, Refusal):
            session.rollback()
            raise Refused(result)
        session.commit()
    announce(engine, settings, submission_id)
    with Session(engine, expire_on_commit=False) as session:
        fresh = session.get(Submission, submission_id)
        assert fresh is not None
        return detail_out(request, session, store, user, fresh)


@router.get("/challenges/{slug}/submissions", response_model=SubmissionListOut)
def list_submissions(
    request: Request,
    slug: str,
    user: CurrentUser,
    engine: EngineDep,
    phase: str | None = Query(None, description="Only this phase; default: every phase."),
    before: int | None = Query(
        None, ge=1, le=MAX_ROW_ID, description="`next_before` of the previous page."
    ),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """Your team's submissions to the challenge, newest first."""
    assert user.id is not None
    with Session(engine, expire_on_commit=False) as session:
        context = unwrap(submit_context(session, slug, user.id))
        team = unwrap(require_team(context))
        assert team.id is not None
        phases = {p.id: p for p in context.phases}
        phase_id = None
        if phase is not None:
            phase_id = unwrap(choose_phase(context, phase)).id
        page = team_submissions(session, team.id, phase_id=phase_id, before=before, limit=limit)
        items = []
        all_scores = current_scores_of(session, [s.id for s in page.items if s.id is not None])
        for s in page.items:
            assert s.id is not None
            scores = all_scores.get(s.id, {})
            if not context.challenge.private_revealed:
                scores.pop("private", None)
            items.append(
                submission_out(request, s, context.challenge, phases[s.phase_id], team, scores)
            )
        return {"items": items, "next_before": page.next_before}


@router.get("/submissions/{submission_id}/events", response_class=StreamingResponse)
async def submission_events(
    request: Request, submission_id: RowId, user: CurrentUser
) -> StreamingResponse:
    """Server-Sent Events: a `status` event now and at every change; ends when final."""

    def visible() -> bool:
        with Session(request.app.state.engine) as session:
            return visible_submission(session, user, submission_id) is not None

    if not await run_in_threadpool(visible):
        raise HTTPException(404, f"No submission {submission_id} of yours exists.")
    hub: EventHub = request.app.state.hub
    channel = submission_channel(submission_id)
    queue = hub.subscribe(channel)  # before reading the status, so no change falls in between

    def current() -> dict[str, Any]:
        with Session(request.app.state.engine) as session:
            s = session.get(Submission, submission_id)
            assert s is not None
            return {"status": str(s.status), "failure": s.failure, "message": s.message}

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse.RETRY
            state = await run_in_threadpool(current)
            yield sse.frame("status", state)
            if state["status"] in FINAL_STATUSES:
                return
            async for item in sse.paced(queue, request.app.state.settings.sse_keepalive_s):
                if item is None:
                    yield sse.KEEPALIVE
                    continue
                state = await run_in_threadpool(current)
                yield sse.frame("status", state)
                if state["status"] in FINAL_STATUSES:
                    return
        finally:
            hub.unsubscribe(channel, queue)

    return sse.response(stream())
