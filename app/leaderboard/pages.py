"""The leaderboard page: the table, the leading-score chart, and live refresh via leaderboard.js;
and each team's page of its public score over time, linked from its name on the board."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse

from app.accounts.deps import OptionalUser
from app.challenges import service as challenges
from app.challenges.models import Challenge, Phase
from app.challenges.web import PublishedChallenge, pick_phase
from app.core.db import MAX_ROW_ID
from app.i18n import localise
from app.i18n.speech import gettext as _
from app.leaderboard.activity import moves, team_activity
from app.leaderboard.boards import FROZEN, board_audience
from app.leaderboard.chart import HistoryWords, leading_series, render_chart, render_history
from app.leaderboard.ranking import BoardSpec, has_board
from app.leaderboard.rendered import AROUND
from app.leaderboard.views import board_rows
from app.organisers.participation import excluded_team_ids
from app.teams.models import Team
from app.teams.service import team_of
from app.text.timefmt import decimal, format_local, zone_city
from app.web.deps import SessionDep
from app.web.page import Page, PageDep

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
    if not has_board(challenge.config):
        return _jury_judges(page, challenge)
    if split == "private" and not challenge.private_revealed:
        raise HTTPException(
            403, "The private leaderboard is revealed by the organisers at the end."
        )
    chosen = pick_phase(db, challenge, phase)
    assert chosen.id is not None
    if chosen.kind == "project":  # a project phase of a mixed challenge: judged, not scored
        return _jury_judges(page, challenge, chosen)
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
    cut = challenge.frozen_at if frozen and split == "public" else None
    activity = team_activity(db, chosen.id, [r.team_id for r in rows], until=cut)
    movement = (
        moves(board_rows(db, challenge, chosen, "public", audience), everything)
        if split == "private"
        else {}
    )
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
            "activity": activity,
            "moves": movement,
            "pages": pages,
            "frozen_at": challenge.frozen_at if frozen else None,
            "chart": chart,
            "json_url": f"/api/v1/challenges/{challenge.slug}/leaderboard?{query}",
            "events_url": f"/api/v1/challenges/{challenge.slug}/events",
        },
    )


@router.get(
    "/challenges/{slug}/leaderboard/teams/{team_id}",
    response_class=HTMLResponse,
    name="leaderboard_team",
)
def leaderboard_team(
    db: SessionDep,
    user: OptionalUser,
    challenge: PublishedChallenge,
    page: PageDep,
    team_id: int = Path(ge=1, le=MAX_ROW_ID),
    phase: str | None = Query(None),
) -> HTMLResponse:
    """A team's public score over time beside the lead, its entries and last submission.

    Public scores only, whatever the reveal: the private board says where teams
    ended; this page says how they got there on the board everyone watched. A
    reader of the frozen board sees nothing made after the freeze.
    """
    assert challenge.id is not None
    team = db.get(Team, team_id)
    excluded = excluded_team_ids(db, challenge.id)
    if team is None or team.challenge_id != challenge.id or team_id in excluded:
        raise HTTPException(404, f"This challenge has no team number {team_id} on its board.")
    if not has_board(challenge.config):
        return _jury_judges(page, challenge)
    chosen = pick_phase(db, challenge, phase)
    assert chosen.id is not None
    if chosen.kind == "project":
        return _jury_judges(page, challenge, chosen)
    spec = BoardSpec.from_config(challenge.config)
    audience = board_audience(db, challenge, user)
    cut = challenge.frozen_at if audience == FROZEN else None
    column = spec.column(spec.rank_by)
    label = localise(dict(column.label), page.lang) or column.key
    history = leading_series(db, spec, chosen.id, "public", until=cut, team_id=team_id)
    lead = leading_series(db, spec, chosen.id, "public", until=cut, exclude=excluded)
    zone = challenge.config.get("time_zone")
    named_zone = zone if isinstance(zone, str) else None

    def tick_value(value: float) -> str:
        return decimal(value, column.precision, page.lang)

    better = _("lower is better") if column.better == "lower" else _("higher is better")
    if history:
        desc = _(
            "%(team)s: %(count)s improvements of its best score, from %(first)s to %(last)s; "
            "the leading score is now %(lead)s; %(better)s."
        ) % {
            "team": team.name,
            "count": len(history),
            "first": tick_value(history[0].value),
            "last": tick_value(history[-1].value),
            "lead": tick_value(lead[-1].value) if lead else "—",
            "better": better,
        }
    else:
        desc = _("This team has no public score yet.")
    words = HistoryWords(
        title=_("%(team)s: best public score over time (%(score)s)")
        % {"team": team.name, "score": label},
        desc=desc,
        team=team.name,
        lead=_("leading score"),
        x_axis=f"{_('Submission time')} ({zone_city(named_zone, page.lang)})",
        y_axis=label,
    )
    chart = render_history(
        history,
        lead,
        words=words,
        tick_time=lambda at: format_local(at, page.lang, named_zone),
        tick_value=tick_value,
    )
    activity = team_activity(db, chosen.id, [team_id], until=cut).get(team_id)
    mine = team_of(db, challenge.id, user.id) if user is not None and user.id is not None else None
    return page.render(
        "leaderboard/team.html",
        {
            "challenge": challenge,
            "phase": chosen,
            "team": team,
            "mine": mine is not None and mine.id == team_id,
            "spec": spec,
            "label": label,
            "history": history,
            "activity": activity,
            "chart": chart,
            "events_url": f"/api/v1/challenges/{challenge.slug}/events",
        },
    )


def _jury_judges(page: Page, challenge: Challenge, phase: Phase | None = None) -> HTMLResponse:
    """The board of a challenge (or phase) that scores nothing: a jury judges its projects, so
    the page says so and points at the gallery instead of showing an empty table."""
    return page.render(
        "leaderboard/jury.html",
        {
            "challenge": challenge,
            "phase": phase,
            "gallery_url": f"/challenges/{challenge.slug}/projects",
        },
    )
