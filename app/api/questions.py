"""/api/v1/challenges/{slug}/questions: the questions a caller may read, asking one, and
their live events.

A caller reads the published questions and answers and, signed in, their team's own (or
their own, without a team) with the answers given privately; never another team's. The
stream sends an empty `questions` event when something the caller may read changed, on the
fixed keep-alive schedule of every stream, so it looks the same to a team whatever the
organisers told another one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.accounts.deps import OptionalUser, SubmitUser
from app.api.challenges import reader_of
from app.api.schemas import ErrorBody
from app.challenges.models import Challenge
from app.challenges.service import phases_of
from app.challenges.web import published_challenge_or_404
from app.live import sse
from app.live.events import questions_channel
from app.live.hub import EventHub
from app.questions import service
from app.questions.models import ANSWER_MAX, TEXT_MAX, Question, QuestionState
from app.questions.service import Asker
from app.questions.web import STREAM_EVENT, concerns, tell
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import unwrap

router = APIRouter(
    prefix="/api/v1",
    tags=["questions"],
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)


class QuestionIn(BaseModel):
    text: str = Field(max_length=4 * ANSWER_MAX, description=f"At most {TEXT_MAX} characters.")
    phase: str | None = Field(None, max_length=80, description="A phase's name, or none.")


class QuestionOut(BaseModel):
    id: int
    question: str = Field(
        description="Your team's own wording for its questions; the published one for others."
    )
    phase: str | None
    state: str = Field(description="open, answered (privately), published or dismissed")
    mine: bool = Field(description="Asked by your team (or by you, without a team).")
    answer: str | None
    asked_at: datetime
    answered_at: datetime | None
    answer_updated_at: datetime | None
    published_at: datetime | None


def _out(question: Question, asker: Asker | None, phase_names: dict[int, str]) -> QuestionOut:
    assert question.id is not None
    mine = service.belongs_to(question, asker)
    public = question.state == QuestionState.published
    shown = question.text if mine or not question.public_text else question.public_text
    return QuestionOut(
        id=question.id,
        question=shown,
        phase=phase_names.get(question.phase_id) if question.phase_id is not None else None,
        state=str(question.state),
        mine=mine,
        answer=question.answer if (mine or public) and question.answer is not None else None,
        asked_at=question.created_at,
        answered_at=question.answered_at,
        answer_updated_at=question.answer_updated_at,
        published_at=question.published_at,
    )


def _phase_names(db: Session, challenge: Challenge) -> dict[int, str]:
    assert challenge.id is not None
    return {p.id: p.name for p in phases_of(db, challenge.id) if p.id is not None}


@router.get("/challenges/{slug}/questions", response_model=list[QuestionOut])
def list_questions(slug: str, user: OptionalUser, db: SessionDep) -> list[QuestionOut]:
    """The published questions and your team's own, newest first."""
    challenge = published_challenge_or_404(db, slug)
    assert challenge.id is not None
    asker = service.asker_of(db, challenge.id, user) if user is not None else None
    names = _phase_names(db, challenge)
    return [_out(q, asker, names) for q in service.visible(db, challenge.id, asker)]


@router.post("/challenges/{slug}/questions", response_model=QuestionOut, status_code=201)
def ask_question(
    slug: str, body: QuestionIn, user: SubmitUser, db: SessionDep, settings: SettingsDep
) -> QuestionOut:
    """Ask the organisers: only your team sees the question until they publish it. A team
    asks at most a few questions in ten minutes (429 with Retry-After)."""
    challenge = published_challenge_or_404(db, slug)
    assert challenge.id is not None
    question = unwrap(service.ask(db, challenge, user, body.text, body.phase))
    db.commit()
    tell(settings, question)
    asker = service.asker_of(db, challenge.id, user)
    return _out(question, asker, _phase_names(db, challenge))


def _reader(request: Request, slug: str, user: Any) -> tuple[int, Asker | None]:
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        challenge = published_challenge_or_404(db, slug)
        assert challenge.id is not None
        asker = service.asker_of(db, challenge.id, user) if user is not None else None
        return challenge.id, asker


@router.get(
    "/challenges/{slug}/questions/events",
    response_class=StreamingResponse,
    name="question_events",
)
async def question_events(request: Request, slug: str) -> StreamingResponse:
    """Server-Sent Events: an empty `questions` event whenever a question you may read was
    asked, answered, published or dismissed; fetch the list again then."""
    user = await reader_of(request)
    challenge_id, asker = await run_in_threadpool(_reader, request, slug, user)
    hub: EventHub = request.app.state.hub
    channel = questions_channel(challenge_id)
    queue = hub.subscribe(channel)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse.RETRY
            async for item in sse.paced(queue, request.app.state.settings.sse_keepalive_s):
                if item is None:
                    yield sse.KEEPALIVE
                elif concerns(item, asker):
                    yield sse.frame(STREAM_EVENT, {})
        finally:
            hub.unsubscribe(channel, queue)

    return sse.response(stream())
