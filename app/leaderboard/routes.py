"""The leaderboard page: the table, the leading-score chart, and live refresh via leaderboard.js."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from app.accounts.deps import OptionalUser
from app.api.challenges import pick_phase
from app.challenges import service as challenges
from app.deps import LangDep, SessionDep, TemplatesDep
from app.i18n import localise
from app.leaderboard.boards import FROZEN, board_audience
from app.leaderboard.chart import leading_series, render_chart
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.views import board_rows
from app.organisers.participation import excluded_team_ids

router = APIRouter()


@router.get("/challenges/{slug}/leaderboard", response_class=HTMLResponse, name="leaderboard_page")
def leaderboard_page(
    request: Request,
    slug: str,
    db: SessionDep,
    user: OptionalUser,
    templates: TemplatesDep,
    lang: LangDep,
    phase: str | None = Query(None),
    split: str = Query("public", pattern="^(public|private)$"),
) -> HTMLResponse:
    challenge = challenges.challenge_by_slug(db, slug)
    if challenge is None or not challenge.published or challenge.id is None:
        raise HTTPException(404, f"No published challenge is called {slug!r}.")
    if split == "private" and not challenge.private_revealed:
        raise HTTPException(
            403, "The private leaderboard is revealed by the organisers at the end."
        )
    chosen = pick_phase(db, challenge, phase)
    assert chosen.id is not None
    spec = BoardSpec.from_config(challenge.config)
    audience = board_audience(db, challenge, user)
    rows = board_rows(db, challenge, chosen, split, audience)
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
    query = urlencode({"phase": chosen.name, "split": split})
    return templates.TemplateResponse(
        request,
        "leaderboard/page.html",
        {
            "challenge": challenge,
            "lang": lang,
            "phase": chosen,
            "phases": challenges.phases_of(db, challenge.id),
            "split": split,
            "spec": spec,
            "rows": rows,
            "frozen_at": challenge.frozen_at if frozen else None,
            "chart": chart,
            "json_url": f"/api/v1/challenges/{challenge.slug}/leaderboard?{query}",
            "events_url": f"/api/v1/challenges/{challenge.slug}/events",
        },
    )
