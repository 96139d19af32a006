"""Questions on the site: the participants' page of a challenge, and the organisers' list.

/challenges/{slug}/questions shows everyone the published questions and answers, and a
signed-in reader also their team's own (with the answers given privately) and the form
to ask. /organise/{slug}/questions is the organisers' list, unanswered first, where each
question is answered privately, published (in a wording the organiser may edit) or
dismissed. Both follow changes live: the participants' page through
/api/v1/challenges/{slug}/questions/events, the organisers' through the stream here, which
opens no database session of the request (a stream lasts; its lookups take their own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from app.accounts.deps import (
    CurrentUser,
    LoginRequired,
    OptionalUser,
    OrganiserUser,
    get_optional_user,
    require_organiser,
)
from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.service import phases_of
from app.challenges.web import OrganisedChallenge, PublishedChallenge, organised_challenge_or_404
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.leaderboard.boards import competes_in
from app.live import sse
from app.live.events import questions_channel
from app.live.hub import EventHub
from app.organisers.conflicts import COMPETITOR_MESSAGE
from app.questions import service
from app.questions.models import ANSWER_MAX, TEXT_MAX, Question
from app.questions.web import STREAM_EVENT, tell
from app.queue.mail_jobs import wake
from app.roles.service import scope_of
from app.teams.models import Team
from app.web.deps import RowId, SessionDep, SettingsDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(tags=["questions"])
organise_router = APIRouter(
    prefix="/organise", tags=["questions"], dependencies=[Depends(require_organiser)]
)
stream_router = APIRouter(tags=["questions"])
NOTICE = "questions_notice"
# A form field may be longer than the service allows, so the service's refusal, which names
# the field and the limit, is what the person reads; this only stops an absurd body.
FORM_MAX = 4 * ANSWER_MAX


def questions_link(settings: Settings, challenge: Challenge) -> str:
    return settings.base_url.rstrip("/") + f"/challenges/{challenge.slug}/questions"


def _participants_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    user: User | None,
    *,
    problem: Refusal | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    asker = service.asker_of(db, challenge.id, user) if user is not None else None
    phases = phases_of(db, challenge.id)
    context: dict[str, Any] = {
        "challenge": challenge,
        "questions": service.visible(db, challenge.id, asker),
        "asker": asker,
        "phases": phases,
        "phase_names": {p.id: p.title for p in phases},
        "user": user,
        "problem": problem,
        "typed": typed or {},
        "notice": page.request.session.pop(NOTICE, None),
        "text_max": TEXT_MAX,
    }
    status = status_of(problem) if problem is not None else 200
    return page.render("questions/challenge.html", context, status=status)


@router.get("/challenges/{slug}/questions", response_class=HTMLResponse, name="questions_page")
def questions_page(
    user: OptionalUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _participants_page(page, db, challenge, user)


@router.post("/challenges/{slug}/questions", response_class=HTMLResponse, name="ask_question")
def ask_question(
    request: Request,
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    text: str = Form(max_length=FORM_MAX),
    phase: str = Form("", max_length=80),
) -> Response:
    outcome = service.ask(db, challenge, user, text, phase or None)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _participants_page(
            page, db, challenge, user, problem=outcome, typed={"text": text, "phase": phase}
        )
    db.commit()
    tell(settings, outcome)
    request.session[NOTICE] = "asked"
    return RedirectResponse(request.url_for("questions_page", slug=challenge.slug).path, 303)


def _organisers_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    problem: Refusal | None = None,
    about: int | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    questions = service.for_organisers(db, challenge.id)
    teams = {q.team_id for q in questions if q.team_id is not None}
    people = {q.asked_by for q in questions}
    context: dict[str, Any] = {
        "challenge": challenge,
        "questions": questions,
        "counts": service.counts(questions),
        "team_names": _team_names(db, teams),
        "people": _people(db, people),
        "phase_names": {p.id: p.title for p in phases_of(db, challenge.id)},
        "problem": problem,
        "about": about,
        "notice": page.request.session.pop(NOTICE, None),
    }
    status = status_of(problem) if problem is not None else 200
    return page.render("questions/organise.html", context, status=status)


def _team_names(db: Session, ids: set[int]) -> dict[int, str]:
    rows = (db.get(Team, i) for i in ids)
    return {t.id: t.name for t in rows if t is not None and t.id is not None}


def _people(db: Session, ids: set[int]) -> dict[int, str]:
    rows = (db.get(User, i) for i in ids)
    return {u.id: u.name for u in rows if u is not None and u.id is not None}


@organise_router.get("/{slug}/questions", response_class=HTMLResponse, name="organise_questions")
def organise_questions(
    challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _organisers_page(page, db, challenge)


def _question(db: Session, challenge: Challenge, question_id: int) -> Question:
    assert challenge.id is not None
    question = service.question_of(db, challenge.id, question_id)
    if question is None:
        raise HTTPException(404, "There is no such question in this challenge.")
    return question


def _after(
    request: Request,
    db: Session,
    settings: Settings,
    challenge: Challenge,
    question: Question,
    first_answer: bool,
    notice: str,
) -> Response:
    mails = (
        service.mail_answered(
            db, settings, challenge, question, questions_link(settings, challenge)
        )
        if first_answer
        else []
    )
    db.commit()
    if mails:
        wake(settings, mails)
    tell(settings, question)
    request.session[NOTICE] = {"done": notice, "mailed": len(mails)}
    return RedirectResponse(request.url_for("organise_questions", slug=challenge.slug).path, 303)


@organise_router.post("/{slug}/questions/{question_id}/answer", name="organise_answer_question")
def answer_question(
    request: Request,
    question_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    answer: str = Form(max_length=FORM_MAX),
) -> Response:
    question = _question(db, challenge, question_id)
    outcome = service.answer(db, question, user, answer)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _organisers_page(page, db, challenge, problem=outcome, about=question_id)
    _q, first = outcome
    return _after(request, db, settings, challenge, question, first, "answered")


@organise_router.post("/{slug}/questions/{question_id}/publish", name="organise_publish_question")
def publish_question(
    request: Request,
    question_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    wording: str = Form(max_length=FORM_MAX),
    answer: str = Form(max_length=FORM_MAX),
) -> Response:
    question = _question(db, challenge, question_id)
    outcome = service.publish(db, question, user, wording, answer)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _organisers_page(page, db, challenge, problem=outcome, about=question_id)
    _q, first = outcome
    return _after(request, db, settings, challenge, question, first, "published")


@organise_router.post("/{slug}/questions/{question_id}/dismiss", name="organise_dismiss_question")
def dismiss_question(
    request: Request,
    question_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
) -> Response:
    question = _question(db, challenge, question_id)
    outcome = service.dismiss(db, question, user)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _organisers_page(page, db, challenge, problem=outcome, about=question_id)
    return _after(request, db, settings, challenge, question, False, "dismissed")


def _organiser_of(request: Request, slug: str) -> int:
    """The challenge's id if the caller runs it and is in none of its teams, else an error;
    in a session of its own, closed before the stream starts."""
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        user = get_optional_user(request, db)
        if user is None:
            path = request.url.path
            raise LoginRequired(path)
        scope = scope_of(db, user)
        if not scope.organises_something:
            raise HTTPException(
                403, "Only the organisers of an event or the owners of a challenge may do this."
            )
        challenge = organised_challenge_or_404(db, scope, slug)
        assert challenge.id is not None
        if competes_in(db, challenge.id, user):
            raise HTTPException(403, COMPETITOR_MESSAGE)
        return challenge.id


@stream_router.get(
    "/organise/{slug}/questions/events",
    response_class=StreamingResponse,
    name="organise_question_events",
)
async def organise_question_events(request: Request, slug: str) -> StreamingResponse:
    """Server-Sent Events: a `questions` event whenever a question of the challenge is asked,
    answered, published or dismissed (the page then fetches its list again)."""
    challenge_id = await run_in_threadpool(_organiser_of, request, slug)
    hub: EventHub = request.app.state.hub
    channel = questions_channel(challenge_id)
    queue = hub.subscribe(channel)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse.RETRY
            async for item in sse.paced(queue, request.app.state.settings.sse_keepalive_s):
                if item is None:
                    yield sse.KEEPALIVE
                elif item.get("type") == "question":
                    yield sse.frame(STREAM_EVENT, {})
        finally:
            hub.unsubscribe(channel, queue)

    return sse.response(stream())
