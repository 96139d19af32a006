"""/api/v1/challenges: the catalog, a challenge's phases, its leaderboard and live events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.accounts.deps import get_optional_user
from app.accounts.models import User
from app.accounts.sessions import cookie_secret
from app.api.schemas import (
    ChallengeDetailOut,
    ChallengeOut,
    ErrorBody,
    LeaderboardOut,
    PhaseOut,
)
from app.challenges import service
from app.challenges.models import Challenge, Phase
from app.challenges.web import published_challenge_or_404
from app.core.db import MAX_ROW_ID
from app.leaderboard.boards import FROZEN, LIVE, audience_for, is_staff, takes_part
from app.leaderboard.cache import BoardCache, BoardKey, board_event
from app.leaderboard.ranking import BoardSpec, has_board
from app.leaderboard.rendered import AROUND, RenderedBoard, board_head
from app.leaderboard.views import board_rows
from app.live import sse
from app.live.announce import CHALLENGE_EVENT
from app.live.events import challenge_channel
from app.live.hub import EventHub
from app.live.states import ChallengeState, ChallengeStates
from app.organisers.participation import excluded_team_ids
from app.web.deps import SessionDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["challenges"], responses={404: {"model": ErrorBody}})


def _challenge_out(request: Request, challenge: Challenge) -> dict[str, Any]:
    return {
        "slug": challenge.slug,
        "title": challenge.title,
        "summary": challenge.summary,
        "theme": challenge.theme,
        "tags": challenge.tags,
        "url": str(request.url_for("challenge", slug=challenge.slug)),
    }


@router.get("/challenges", response_model=list[ChallengeOut])
def list_challenges(request: Request, session: SessionDep) -> list[dict[str, Any]]:
    return [_challenge_out(request, c) for c in service.published_challenges(session)]


@router.get("/challenges/{slug}", response_model=ChallengeDetailOut)
def get_challenge(request: Request, slug: str, session: SessionDep) -> dict[str, Any]:
    challenge = published_challenge_or_404(session, slug)
    assert challenge.id is not None
    phases = [
        PhaseOut(
            name=p.name,
            title=p.title,
            kind=p.kind,
            start=p.start,
            end=p.end,
            state=service.phase_state(p),
            max_per_day=p.max_per_day,
            max_total=p.max_total,
            max_concurrent=p.max_concurrent,
        )
        for p in service.phases_of(session, challenge.id)
    ]
    return {
        **_challenge_out(request, challenge),
        "phases": phases,
        "licence": str(challenge.config.get("licence", "")),
        "private_revealed": challenge.private_revealed,
        "leaderboard": _board_out(challenge),
    }


def _board_out(challenge: Challenge) -> dict[str, Any] | None:
    """None for a project-only challenge, which has no board (a jury judges it)."""
    if not has_board(challenge.config):
        return None
    spec = BoardSpec.from_config(challenge.config)
    return {
        "columns": [
            {"key": c.key, "label": dict(c.label), "better": c.better, "precision": c.precision}
            for c in spec.columns
        ],
        "rank_by": spec.rank_by,
        "tie_breakers": list(spec.tie_breakers),
    }


def build_board(
    session: Session, challenge_id: int, phase_id: int, split: str, audience: str
) -> RenderedBoard:
    """The board, ranked and serialised row by row (see `app.leaderboard.rendered`).

    Who may read it was decided before: this only builds. Its JSON is shaped as
    LeaderboardOut (see the OpenAPI schema).
    """
    challenge = session.get(Challenge, challenge_id)
    phase = session.get(Phase, phase_id)
    assert challenge is not None and phase is not None
    spec = BoardSpec.from_config(challenge.config)
    rows = board_rows(session, challenge, phase, split, audience)
    exclude = excluded_team_ids(session, challenge_id) if split == "public" else ()
    return RenderedBoard(spec, board_head(challenge.slug, phase.name, split, spec), rows, exclude)


async def published_state(request: Request, slug: str) -> ChallengeState:
    """The challenge's state from this process's snapshot; 404 unless it is published."""
    states: ChallengeStates = request.app.state.challenge_states
    state = await states.get(slug)
    if state is None or not state.published:
        raise HTTPException(404, f"No published challenge is called {slug!r}.")
    return state


async def reader_of(request: Request) -> User | None:
    """Who is asking, without the database for a caller that sends no credential at all."""
    if "authorization" not in request.headers and cookie_secret(request) is None:
        return None  # nobody signed in: no thread-pool hop, no database

    def lookup() -> User | None:
        with Session(request.app.state.engine, expire_on_commit=False) as db:
            return get_optional_user(request, db)

    return await run_in_threadpool(lookup)


async def audience_of(request: Request, state: ChallengeState, user: User | None) -> str:
    """LIVE or FROZEN for this reader; the database is asked only for staff during a freeze."""
    if state.frozen_at is None or not is_staff(user):
        return audience_for(state.frozen_at, user, competes=False)

    def competes() -> bool:
        with Session(request.app.state.engine) as db:
            return takes_part(db, state.id, user)

    return audience_for(state.frozen_at, user, await run_in_threadpool(competes))


@router.get(
    "/challenges/{slug}/leaderboard",
    response_model=LeaderboardOut,
    responses={403: {"model": ErrorBody}},
)
async def get_leaderboard(
    request: Request,
    slug: str,
    phase: str | None = Query(None, description="Phase name; default: the open phase."),
    split: str = Query("public", pattern="^(public|private)$"),
    limit: int | None = Query(
        None, ge=1, le=10_000, description="Rows of one page (from `offset`); default: all."
    ),
    offset: int = Query(0, ge=0, le=1_000_000, description="The first row of the page."),
    around: int | None = Query(
        None,
        ge=1,
        le=MAX_ROW_ID,
        description=f"A team id: its row with {AROUND} rows above and below it.",
    ),
) -> Response:
    """The board: one row per team, kept incrementally and cached until a score changes it.

    Whether it may be read at all is decided before the cache is looked at, from
    state that every organiser action refreshes, so a board that was hidden is
    never served again from a cache. `total` is the number of rows of the whole
    board; a page also says its `offset` and `limit`. A project-only challenge has no board
    (its detail says `leaderboard: null`): this answers no columns and no rows. (GETs of this path are
    answered by `app.api.board_path`, without FastAPI's routing and dependency
    solving, by the same `serve_board`; this signature documents the route.)
    """
    return await serve_board(request, slug, phase, split, limit, offset, around)


async def serve_board(
    request: Request,
    slug: str,
    phase: str | None,
    split: str,
    limit: int | None,
    offset: int,
    around: int | None,
) -> Response:
    if around is not None and (limit is not None or offset):
        raise HTTPException(422, "Ask for a page (limit, offset) or for around=TEAM, not both.")
    state = await published_state(request, slug)
    if split == "private" and not state.private_revealed:
        raise HTTPException(
            403, "The private leaderboard is revealed by the organisers at the end."
        )
    chosen = state.phase(phase)
    if isinstance(chosen, str):
        raise HTTPException(404, chosen)
    audience = await audience_of(request, state, await reader_of(request))
    cache: BoardCache = request.app.state.board_cache
    board = await cache.get(*_board(request, state, chosen.id, split, audience))
    if around is None:
        return Response(board.body(offset, limit), media_type="application/json")
    body = board.around(around)
    if body is None:
        raise HTTPException(404, f"Team {around} has no row on this board.")
    return Response(body, media_type="application/json")


async def _warm(cache: BoardCache, board: tuple[BoardKey, Callable[[], RenderedBoard]]) -> None:
    """Build the board a stream is about to announce; if that fails, the reader's own fetch
    will try again and answer the error, so the stream goes on."""
    try:
        await cache.fresh(*board)
    except Exception:
        log.warning("could not rebuild a board before announcing it", exc_info=True)


def _board(
    request: Request, state: ChallengeState, phase_id: int, split: str, audience: str
) -> tuple[BoardKey, Callable[[], RenderedBoard]]:
    """The cache key of the board a reader gets, and how to build it."""
    key = BoardKey(
        state.id,
        state.stamp,
        phase_id,
        split,
        audience,
        state.frozen_at if audience == FROZEN else None,
    )

    def build() -> RenderedBoard:
        with Session(request.app.state.engine) as session:
            return build_board(session, state.id, phase_id, split, audience)

    return key, build


@router.get("/challenges/{slug}/events", response_class=StreamingResponse)
async def challenge_events(request: Request, slug: str) -> StreamingResponse:
    """Server-Sent Events: a `board` event whenever a leaderboard this reader may see changes.

    `{"phase_id": id, "split": "public"}` after a score moved that board;
    `{"phase_id": null}` after the organisers changed the challenge (any board
    may differ). Nothing here depends on what a reader may not see: a private
    score sends nothing before the reveal, a frozen board's readers get nothing
    for later scores, and keep-alives keep their own schedule.
    """
    state = await published_state(request, slug)
    user = await reader_of(request)
    audience = await audience_of(request, state, user)
    hub: EventHub = request.app.state.hub
    channel = challenge_channel(state.id)
    queue = hub.subscribe(channel)
    states: ChallengeStates = request.app.state.challenge_states
    cache: BoardCache = request.app.state.board_cache

    async def stream() -> AsyncIterator[bytes]:
        nonlocal state, audience
        try:
            yield sse.RETRY
            async for item in sse.paced(queue, request.app.state.settings.sse_keepalive_s):
                if item is None:
                    yield sse.KEEPALIVE
                    continue
                if item.get("type") == CHALLENGE_EVENT:
                    fresh = await states.get(slug)
                    if fresh is None or not fresh.published:
                        yield sse.frame("board", {"phase_id": None})
                        return
                    state = fresh
                    audience = await audience_of(request, state, user)
                    yield sse.frame("board", {"phase_id": None})
                    continue
                landed = board_event(item)
                if landed is None:
                    continue
                phase_id, splits, _submitted_at = landed
                if "public" in splits and audience == LIVE:
                    if state.frozen_at is not None:  # staff: still staff, still not competing?
                        audience = await audience_of(request, state, user)
                    if audience == LIVE:
                        await _warm(cache, _board(request, state, phase_id, "public", LIVE))
                        yield sse.frame("board", {"phase_id": phase_id, "split": "public"})
                if state.private_revealed:
                    await _warm(cache, _board(request, state, phase_id, "private", audience))
                    yield sse.frame("board", {"phase_id": phase_id, "split": "private"})
        finally:
            hub.unsubscribe(channel, queue)

    return sse.response(stream())
