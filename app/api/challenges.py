"""/api/v1/challenges: the catalog, a challenge's phases, its leaderboard and live events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.accounts.deps import OptionalUser
from app.accounts.models import User
from app.api.schemas import (
    ChallengeDetailOut,
    ChallengeOut,
    ErrorBody,
    LeaderboardOut,
    PhaseOut,
)
from app.challenges import service
from app.challenges.models import Challenge, Phase
from app.deps import SessionDep
from app.events import challenge_channel
from app.leaderboard.boards import audience_for
from app.leaderboard.cache import BoardCache
from app.leaderboard.freeze_cache import FreezeCache
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.views import board_rows
from app.live.hub import EventHub

router = APIRouter(prefix="/api/v1", tags=["challenges"], responses={404: {"model": ErrorBody}})

KEEPALIVE_S = 15.0


def _challenge_out(request: Request, challenge: Challenge) -> dict[str, Any]:
    return {
        "slug": challenge.slug,
        "title": challenge.title,
        "summary": challenge.summary,
        "theme": challenge.theme,
        "tags": challenge.tags,
        "url": str(request.url_for("challenge", slug=challenge.slug)),
    }


def _published(session: Session, slug: str) -> Challenge:
    challenge = service.challenge_by_slug(session, slug)
    if challenge is None or not challenge.published or challenge.id is None:
        raise HTTPException(404, f"No published challenge is called {slug!r}.")
    return challenge


@router.get("/challenges", response_model=list[ChallengeOut])
def list_challenges(request: Request, session: SessionDep) -> list[dict[str, Any]]:
    return [_challenge_out(request, c) for c in service.published_challenges(session)]


@router.get("/challenges/{slug}", response_model=ChallengeDetailOut)
def get_challenge(request: Request, slug: str, session: SessionDep) -> dict[str, Any]:
    challenge = _published(session, slug)
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
    }


def pick_phase(session: Session, challenge: Challenge, name: str | None) -> Phase:
    assert challenge.id is not None
    phases = service.phases_of(session, challenge.id)
    if not phases:
        raise HTTPException(404, "This challenge has no phases.")
    if name is None:
        return service.current_phase(phases) or phases[0]
    for phase in phases:
        if phase.name == name:
            return phase
    names = ", ".join(p.name for p in phases)
    raise HTTPException(404, f"No phase {name!r} in this challenge; phases: {names}.")


def build_leaderboard(
    session: Session, slug: str, phase_name: str | None, split: str, audience: str = "public"
) -> tuple[int | None, bytes]:
    challenge = _published(session, slug)
    if split == "private" and not challenge.private_revealed:
        raise HTTPException(
            403, "The private leaderboard is revealed by the organisers at the end."
        )
    phase = pick_phase(session, challenge, phase_name)
    assert phase.id is not None
    spec = BoardSpec.from_config(challenge.config)
    rows = board_rows(session, challenge, phase, split, audience)
    # Plain dicts and one json.dumps: the shape is LeaderboardOut's (see the OpenAPI schema),
    # built without a model per row because a board can have thousands of rows.
    columns = [(c.key, c.precision) for c in spec.columns]
    body = {
        "challenge": challenge.slug,
        "phase": phase.name,
        "split": split,
        "columns": [
            {"key": c.key, "label": dict(c.label), "better": c.better, "precision": c.precision}
            for c in spec.columns
        ],
        "rows": [
            {
                "rank": row.rank,
                "team": {"id": row.team_id, "name": row.team_name},
                "submission_id": row.submission_id,
                "submitted_at": row.submitted_at.isoformat(),
                "scores": {
                    key: (round(row.values[key], precision) if key in row.values else None)
                    for key, precision in columns
                },
            }
            for row in rows
        ],
    }
    return phase.id, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@router.get(
    "/challenges/{slug}/leaderboard",
    response_model=LeaderboardOut,
    responses={403: {"model": ErrorBody}},
)
async def get_leaderboard(
    request: Request,
    slug: str,
    user: OptionalUser,
    phase: str | None = Query(None, description="Phase name; default: the open phase."),
    split: str = Query("public", pattern="^(public|private)$"),
) -> Response:
    """The board: one row per team, kept incrementally and cached until a score changes it."""
    cache: BoardCache = request.app.state.board_cache
    audience = await run_in_threadpool(_audience, request, slug, user)
    key = (slug, phase or "", split, audience)

    def build() -> tuple[int | None, bytes]:
        with Session(request.app.state.engine) as session:
            return build_leaderboard(session, slug, phase, split, audience)

    body = await cache.get(key, build)
    return Response(body, media_type="application/json")


def _audience(request: Request, slug: str, user: User | None) -> str:
    """Who is asking decides the board; a small per-process cache keeps this off the hot path."""
    freeze_cache: FreezeCache = request.app.state.freeze_cache
    return audience_for(freeze_cache.frozen_at(request.app.state.engine, slug), user)


@router.get("/challenges/{slug}/events", response_class=StreamingResponse)
async def challenge_events(request: Request, slug: str, user: OptionalUser) -> StreamingResponse:
    """Server-Sent Events: a `board` event whenever the leaderboard this reader sees changes.

    During a freeze, participants get keep-alives only: an event would tell them
    that the hidden board moved.
    """

    def lookup() -> int:
        with Session(request.app.state.engine) as session:
            challenge = _published(session, slug)
            assert challenge.id is not None
            return challenge.id

    challenge_id = await run_in_threadpool(lookup)
    hub: EventHub = request.app.state.hub
    channel = challenge_channel(challenge_id)
    queue = hub.subscribe(channel)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            while True:
                try:
                    payload = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if not payload.get("board_changed"):
                    continue
                if await run_in_threadpool(_audience, request, slug, user) == "frozen":
                    continue
                data = json.dumps({"phase_id": payload.get("phase_id")})
                yield f"event: board\ndata: {data}\n\n".encode()
        finally:
            hub.unsubscribe(channel, queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
