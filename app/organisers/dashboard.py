"""The organisers' dashboard figures: submissions per phase over time, and who came to each
challenge (registered users, teams, teams that submitted), drawn as server-side SVG.

Each phase gets a stepped line of its running total of submissions, counted per
hour so a busy phase draws a few hundred points at most, not one per upload.
The axes come from the leaderboard chart's `Frame`, so both charts read alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import distinct, func, true
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.models import Challenge, Phase
from app.leaderboard.chart import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    WIDTH,
    Frame,
    Point,
    step_path,
)
from app.submissions.models import Submission
from app.teams.models import Membership, Team

# Presentation attributes, not style attributes: the CSP forbids inline styles.
PALETTE = ("#0b6e99", "#d9730d", "#0f7b6c", "#ad1a72", "#6940a5", "#64473a", "#e03e3e")


@dataclass(frozen=True)
class Series:
    label: str
    points: list[Point]

    @property
    def total(self) -> int:
        return int(self.points[-1].value) if self.points else 0


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def phase_series(session: Session, only: set[int] | None = None) -> list[Series]:
    """Running totals per phase of the challenges `only` names (every one when None);
    phases without submissions are left out."""
    stmt = (
        select(Challenge.slug, Phase.name, Submission.created_at)
        .join(Phase, col(Phase.id) == col(Submission.phase_id))
        .join(Challenge, col(Challenge.id) == col(Phase.challenge_id))
        .order_by(col(Challenge.slug), col(Phase.position), col(Phase.name))
        .order_by(col(Submission.created_at))
    )
    if only is not None:
        stmt = stmt.where(col(Challenge.id).in_(only))
    rows = session.exec(stmt).all()
    grouped: dict[str, dict[datetime, int]] = {}
    for slug, name, created_at in rows:
        hours = grouped.setdefault(f"{slug} · {name}", {})
        hour = _hour(created_at)
        hours[hour] = hours.get(hour, 0) + 1
    series = []
    for label, hours in grouped.items():
        running = 0
        points = []
        for hour in sorted(hours):
            running += hours[hour]
            points.append(Point(hour, float(running)))
        series.append(Series(label, points))
    return series


def render_series(series: Sequence[Series], *, title: str, empty: str, axis: str) -> Markup:
    if not series:
        return Markup(
            f'<svg class="chart" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {WIDTH} 60" width="100%"><title>{escape(title)}</title>'
            f'<text x="10" y="35">{escape(empty)}</text></svg>'
        )
    everything = [p for s in series for p in s.points]
    start = Point(min(p.at for p in everything), 0.0)
    frame = Frame.around([start, *everything])
    bottom = HEIGHT - MARGIN_BOTTOM
    right = WIDTH - MARGIN_RIGHT
    ticks = "".join(
        f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{frame.y(v) + 4}" text-anchor="end">'
        f"{v:.0f}</text>"
        for v in (0.0, frame.v1)
    )
    lines = "".join(
        f'<path fill="none" stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="2" '
        f'd="{step_path([Point(s.points[0].at, 0.0), *s.points], frame)}">'
        f"<title>{escape(s.label)}: {s.total}</title></path>"
        for i, s in enumerate(series)
    )
    first, last = start.at, max(p.at for p in everything)
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="20" x2="{MARGIN_LEFT}" y2="{bottom}"/>'
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        f"{ticks}"
        f'<text class="tick" x="{MARGIN_LEFT}" y="{bottom + 16}">{first:%m-%d %H:%M}</text>'
        f'<text class="tick" x="{right}" y="{bottom + 16}" text-anchor="end">'
        f"{last:%m-%d %H:%M}</text>"
        f'<text class="axis-title" x="{(MARGIN_LEFT + right) / 2}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(axis)}</text>'
        f"{lines}</svg>"
    )


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Turnout:
    """Who came to one challenge: teams, the teams that submitted, and people in teams."""

    slug: str
    title: dict[str, str]
    teams: int
    teams_submitted: int
    people: int


def registered_users(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(User)).one())


def turnout(session: Session, only: set[int] | None = None) -> list[Turnout]:
    """Every challenge `only` names (all when None), drafts included, in three grouped
    queries whatever their number."""
    teams = dict(
        session.exec(select(Team.challenge_id, func.count()).group_by(col(Team.challenge_id))).all()
    )
    submitted = dict(
        session.exec(
            select(Submission.challenge_id, func.count(distinct(col(Submission.team_id)))).group_by(
                col(Submission.challenge_id)
            )
        ).all()
    )
    people = dict(
        session.exec(
            select(Membership.challenge_id, func.count()).group_by(col(Membership.challenge_id))
        ).all()
    )
    return [
        Turnout(
            c.slug,
            dict(c.title or {}),
            int(teams.get(c.id or 0, 0)),
            int(submitted.get(c.id or 0, 0)),
            int(people.get(c.id or 0, 0)),
        )
        for c in session.exec(
            select(Challenge)
            .where(col(Challenge.id).in_(only) if only is not None else true())
            .order_by(col(Challenge.slug))
        )
    ]


BAR = 18  # the height of one bar; two per challenge, then a gap
TEAMS_COLOUR, SUBMITTED_COLOUR = PALETTE[0], PALETTE[2]


def render_turnout(rows: Sequence[Turnout], *, title: str, teams: str, submitted: str) -> Markup:
    """Two bars per challenge, all teams and the teams that submitted, on one scale.

    The labels sit above the bars rather than beside them, so a long slug does not
    squeeze the bars on a phone: the SVG scales to the width it is given.
    """
    if not rows:
        return Markup("")
    top = max([1, *(r.teams for r in rows)])
    span = WIDTH - 20 - 60
    height = 10 + len(rows) * (3 * BAR + 14)
    parts = []
    y = 10
    for r in rows:
        parts.append(f'<text class="tick" x="10" y="{y + 12}">{escape(r.slug)}</text>')
        y += BAR
        for value, colour, what in (
            (r.teams, TEAMS_COLOUR, teams),
            (r.teams_submitted, SUBMITTED_COLOUR, submitted),
        ):
            w = span * value / top
            parts.append(
                f'<rect x="10" y="{y}" width="{w:.1f}" height="{BAR - 4}" fill="{colour}">'
                f"<title>{escape(r.slug)} · {escape(what)}: {value}</title></rect>"
                f'<text class="tick" x="{14 + w:.1f}" y="{y + BAR - 6}">{value}</text>'
            )
            y += BAR
        y += 14
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
