"""The leaderboard page: the table, the leading-score chart, and live refresh via leaderboard.js."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from app.accounts.deps import OptionalUser
from app.challenges import service as challenges
from app.challenges.web import PublishedChallenge, pick_phase
from app.core.db import MAX_ROW_ID
from app.i18n import localise
from app.leaderboard.boards import FROZEN, board_audience
from app.leaderboard.chart import leading_series, render_chart
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.rendered import AROUND
from app.leaderboard.views import board_rows
from app.organisers.participation import excluded_team_ids
from app.teams.service import team_of
from app.web.deps import SessionDep
from app.web.page import PageDep

router = APIRouter()

PAGE_SIZE = 100  # rows of the board page; the JSON API gives the whole board unless asked


@router.get("/challenges/{slug}/leaderboard", response_class=HTMLResponse, name="leaderboard_page")
def leaderboard_page(
    db: SessionDep,
    user: OptionalUser,
    challenge: PublishedChallenge,
    page: PageDep,
    phase: str | None = Query(None),
    split: str = Query("public", pattern="^(public|private)$"),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(PAGE_SIZE, ge=1, le=1000),
    around: int | None = Query(None, ge=1, le=MAX_ROW_ID),
) -> HTMLResponse:
    """One page of the board (`offset`, `limit`), or the rows around a team (`around`)."""
    assert challenge.id is not None
    lang = page.lang
    if split == "private" and not challenge.private_revealed:
        raise HTTPException(
            403, "The private leaderboard is revealed by the organisers at the end."
        )
    chosen = pick_phase(db, challenge, phase)
    assert chosen.id is not None
    spec = BoardSpec.from_config(challenge.config)
    audience = board_audience(db, challenge, user)
    everything = board_rows(db, challenge, chosen, split, audience)
    mine = team_of(db, challenge.id, user.id) if user is not None and user.id is not None else None
    my_team = (
        mine.id if mine is not None and any(r.team_id == mine.id for r in everything) else None
    )
    if around is not None:
        at = next((i for i, r in enumerate(everything) if r.team_id == around), None)
        if at is None:
            raise HTTPException(404, f"Team {around} has no row on this board.")
        offset, limit = max(0, at - AROUND), 2 * AROUND + 1
    rows = everything[offset : offset + limit]
    rank_column = spec.column(spec.rank_by)
    frozen = audience == FROZEN
    chart = render_chart(
        leading_series(
            db,
            spec,
            chosen.id,
            "public",
            until=challenge.frozen_at if frozen else None,
            exclude=excluded_team_ids(db, challenge.id),
        ),
        label=localise(dict(rank_column.label), lang) or rank_column.key,
        better=rank_column.better,
        precision=rank_column.precision,
        lang=lang,
    )
    base = {"phase": chosen.name, "split": split}
    paging = {"around": around} if around is not None else {"offset": offset, "limit": limit}
    query = urlencode({**base, **paging})
    pages = {
        "first": offset + 1 if rows else 0,
        "last": offset + len(rows),
        "total": len(everything),
        "previous": urlencode({**base, "offset": max(0, offset - limit), "limit": limit})
        if offset > 0
        else None,
        "next": urlencode({**base, "offset": offset + limit, "limit": limit})
        if offset + limit < len(everything)
        else None,
        "around_me": urlencode({**base, "around": my_team}) if my_team is not None else None,
        "mine": my_team,
    }
    return page.render(
        "leaderboard/page.html",
        {
            "challenge": challenge,
            "phase": chosen,
            "phases": challenges.phases_of(db, challenge.id),
            "split": split,
            "spec": spec,
            "rows": rows,
            "pages": pages,
            "frozen_at": challenge.frozen_at if frozen else None,
            "chart": chart,
            "json_url": f"/api/v1/challenges/{challenge.slug}/leaderboard?{query}",
            "events_url": f"/api/v1/challenges/{challenge.slug}/events",
        },
    )
