"""The leading score over time, drawn as a server-side SVG (no chart library, no script).

For the ranking column, each new lead adds a point: the best score so far, at
the time of the submission that set it. The line is stepped because the lead
changes at an instant and holds until the next better score.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from app.leaderboard.ranking import BoardSpec
from app.submissions.models import Score, Status, Submission

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 70
MARGIN_RIGHT = 20
MARGIN_TOP = 20
MARGIN_BOTTOM = 40


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


def leading_series(
    session: Session,
    spec: BoardSpec,
    phase_id: int,
    split: str = "public",
    *,
    until: datetime | None = None,
    exclude: Collection[int] = (),
    team_id: int | None = None,
) -> list[Point]:
    """The leading `rank_by` score each time it improved, oldest first.

    Only improvements make points: a point for every scored submission would
    tell every reader when any team's submission was judged, even one whose
    scores stay hidden (a private improvement, a frozen board).

    `until` stops the series at a freeze, so the chart tells participants no more
    than the frozen board does; `exclude` leaves out disqualified teams; `team_id`
    follows one team's own best instead of the lead (its board row over time).
    """
    conditions = [
        col(Submission.phase_id) == phase_id,
        col(Submission.status) == Status.scored,
        col(Score.split) == split,
        col(Score.key) == spec.rank_by,
        col(Score.current).is_(True),
    ]
    if until is not None:
        conditions.append(col(Submission.created_at) < until)
    if exclude:
        conditions.append(col(Submission.team_id).not_in(list(exclude)))
    if team_id is not None:
        conditions.append(col(Submission.team_id) == team_id)
    rows = session.exec(
        select(Submission.created_at, Score.value)
        .join(Score, col(Score.submission_id) == col(Submission.id))
        .where(*conditions)
        .order_by(col(Submission.created_at), col(Submission.id))
    ).all()
    higher = spec.column(spec.rank_by).better == "higher"
    best: float | None = None
    points: list[Point] = []
    for at, value in rows:
        if value != value:  # NaN never leads
            continue
        if best is None or (value > best if higher else value < best):
            best = value
            points.append(Point(at, best))
    return points


@dataclass(frozen=True)
class Frame:
    """Maps data to pixels; kept apart so tests can check where each point lands."""

    t0: float
    t1: float
    v0: float
    v1: float

    @classmethod
    def around(cls, points: Sequence[Point]) -> Frame:
        times = [p.at.timestamp() for p in points]
        values = [p.value for p in points]
        t0, t1 = min(times), max(times)
        v0, v1 = min(values), max(values)
        if t1 == t0:
            t0, t1 = t0 - 3600, t1 + 3600
        if v1 == v0:
            pad = abs(v0) * 0.1 or 1.0
            v0, v1 = v0 - pad, v1 + pad
        return cls(t0, t1, v0, v1)

    def x(self, at: datetime) -> float:
        span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        return round(MARGIN_LEFT + (at.timestamp() - self.t0) / (self.t1 - self.t0) * span, 2)

    def y(self, value: float) -> float:
        span = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
        return round(MARGIN_TOP + (self.v1 - value) / (self.v1 - self.v0) * span, 2)


def step_path(points: Sequence[Point], frame: Frame) -> str:
    """`M x,y` then `H x V y` per later point: hold the lead, then jump to the new one."""
    first = points[0]
    parts = [f"M{frame.x(first.at)},{frame.y(first.value)}"]
    for point in points[1:]:
        parts.append(f"H{frame.x(point.at)}V{frame.y(point.value)}")
    return " ".join(parts)


def render_chart(
    points: Sequence[Point], *, label: str, better: str, precision: int, lang: str = "en"
) -> Markup:
    it = lang == "it"
    title = f"{'Miglior punteggio nel tempo' if it else 'Leading score over time'}: {label}"
    if not points:
        desc = "Ancora nessun invio valutato." if it else "No scored submission yet."
        return Markup(
            f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" '
            f'viewBox="0 0 {WIDTH} 60" width="100%"><title id="chart-title">{escape(title)}'
            f'</title><desc id="chart-desc">{escape(desc)}</desc>'
            f'<text x="10" y="35">{escape(desc)}</text></svg>'
        )
    frame = Frame.around(points)
    fmt = f"{{:.{precision}f}}"
    first, last = points[0], points[-1]
    direction = (
        ("più basso è meglio" if it else "lower is better")
        if better == "lower"
        else ("più alto è meglio" if it else "higher is better")
    )
    desc = (
        f"{len(points)} {'invii valutati' if it else 'scored submissions'}; "
        f"{'da' if it else 'from'} {fmt.format(first.value)} ({first.at:%Y-%m-%d %H:%M}) "
        f"{'a' if it else 'to'} {fmt.format(last.value)} ({last.at:%Y-%m-%d %H:%M} UTC); "
        f"{direction}."
    )
    bottom = HEIGHT - MARGIN_BOTTOM
    right = WIDTH - MARGIN_RIGHT
    y_ticks = [frame.v0, (frame.v0 + frame.v1) / 2, frame.v1]
    ticks = "".join(
        f'<line class="grid" x1="{MARGIN_LEFT}" x2="{right}" y1="{frame.y(v)}" y2="{frame.y(v)}"/>'
        f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{frame.y(v) + 4}" text-anchor="end">'
        f"{escape(fmt.format(v))}</text>"
        for v in y_ticks
    )
    x_labels = (
        f'<text class="tick" x="{MARGIN_LEFT}" y="{bottom + 16}" text-anchor="start">'
        f"{first.at:%m-%d %H:%M}</text>"
        f'<text class="tick" x="{right}" y="{bottom + 16}" text-anchor="end">'
        f"{last.at:%m-%d %H:%M}</text>"
    )
    axis_titles = (
        f'<text class="axis-title" x="{(MARGIN_LEFT + right) / 2}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{"Ora dell’invio (UTC)" if it else "Submission time (UTC)"}</text>'
        f'<text class="axis-title" x="14" y="{(MARGIN_TOP + bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(MARGIN_TOP + bottom) / 2})">{escape(label)}</text>'
    )
    dots = "".join(
        f'<circle class="dot" cx="{frame.x(p.at)}" cy="{frame.y(p.value)}" r="2.5"/>'
        for p in points
    )
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{bottom}"/>'
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        f"{ticks}{x_labels}{axis_titles}"
        f'<path class="lead" fill="none" d="{step_path(points, frame)}"/>{dots}</svg>'
    )


@dataclass(frozen=True)
class HistoryWords:
    """The chart's words, already in the reader's language (the caller has the catalogs)."""

    title: str
    desc: str
    team: str  # legend of the team's line
    lead: str  # legend of the leading line
    x_axis: str
    y_axis: str


def render_history(
    team: Sequence[Point],
    lead: Sequence[Point],
    *,
    words: HistoryWords,
    tick_time: Callable[[datetime], str],
    tick_value: Callable[[float], str],
) -> Markup:
    """One team's best score over time beside the leading one, on one shared scale.

    Both lines hold their last value to the latest moment either shows, so the
    gap between the team and the lead reads at the right edge. The scale spans
    both series (and only them), so a team far from the lead still sees its own
    steps, with a little room above and below.
    """
    if not team:
        return Markup(
            f'<svg class="chart" role="img" aria-labelledby="history-title history-desc" '
            f'viewBox="0 0 {WIDTH} 60" width="100%"><title id="history-title">'
            f'{escape(words.title)}</title><desc id="history-desc">{escape(words.desc)}</desc>'
            f'<text x="10" y="35">{escape(words.desc)}</text></svg>'
        )
    both = [*team, *lead]
    frame = Frame.around(both)
    pad = (frame.v1 - frame.v0) * 0.05
    frame = Frame(frame.t0, frame.t1, frame.v0 - pad, frame.v1 + pad)
    end = max(p.at for p in both)
    bottom = HEIGHT - MARGIN_BOTTOM
    right = WIDTH - MARGIN_RIGHT
    y_ticks = [frame.v0 + pad, (frame.v0 + frame.v1) / 2, frame.v1 - pad]
    ticks = "".join(
        f'<line class="grid" x1="{MARGIN_LEFT}" x2="{right}" y1="{frame.y(v)}" y2="{frame.y(v)}"/>'
        f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{frame.y(v) + 4}" text-anchor="end">'
        f"{escape(tick_value(v))}</text>"
        for v in y_ticks
    )
    start = min(p.at for p in both)
    x_labels = (
        f'<text class="tick" x="{MARGIN_LEFT}" y="{bottom + 16}" text-anchor="start">'
        f"{escape(tick_time(start))}</text>"
        f'<text class="tick" x="{right}" y="{bottom + 16}" text-anchor="end">'
        f"{escape(tick_time(end))}</text>"
    )
    middle = (MARGIN_TOP + bottom) / 2
    axis_titles = (
        f'<text class="axis-title" x="{(MARGIN_LEFT + right) / 2}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(words.x_axis)}</text>'
        f'<text class="axis-title" x="14" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle})">{escape(words.y_axis)}</text>'
    )
    legend = (
        f'<line class="lead-ref" x1="{MARGIN_LEFT + 10}" x2="{MARGIN_LEFT + 34}" y1="12" y2="12"/>'
        f'<text class="tick" x="{MARGIN_LEFT + 40}" y="16">{escape(words.lead)}</text>'
        f'<line class="team-line" x1="{MARGIN_LEFT + 250}" x2="{MARGIN_LEFT + 274}" '
        f'y1="12" y2="12"/>'
        f'<text class="tick" x="{MARGIN_LEFT + 280}" y="16">{escape(words.team)}</text>'
    )
    lead_path = (
        f'<path class="lead-ref" fill="none" d="{step_path(lead, frame)} H{frame.x(end)}"/>'
        if lead
        else ""
    )
    dots = "".join(
        f'<circle class="dot" cx="{frame.x(p.at)}" cy="{frame.y(p.value)}" r="3"/>' for p in team
    )
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="history-title history-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="history-title">{escape(words.title)}</title>'
        f'<desc id="history-desc">{escape(words.desc)}</desc>'
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{bottom}"/>'
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        f"{ticks}{x_labels}{axis_titles}{legend}{lead_path}"
        f'<path class="team-line" fill="none" d="{step_path(team, frame)} H{frame.x(end)}"/>'
        f"{dots}</svg>"
    )
