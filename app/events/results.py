"""The winners of an event: per challenge, its final ranking once it is final.

A challenge's ranking is final once its private board is revealed: the jury's combined
ranking when judges reviewed its finalists, the private board of its last phase otherwise.
Before that, the winners page says the results are not final and shows nothing of the
board, for organisers too, so that publishing the page cannot leak a private score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.challenges.models import Challenge
from app.events.models import Event
from app.events.service import TrackView, tracks_of
from app.jury import service as jury
from app.jury.ranking import JudgingSpec
from app.teams.models import Team

PODIUM = 3


@dataclass(frozen=True)
class Placed:
    rank: int
    team_name: str
    prizes: list[dict[str, Any]]
    team_id: int  # its page on the leaderboard: its entries and score history


@dataclass(frozen=True)
class ChallengeResult:
    challenge: Challenge
    final: bool
    judged: bool  # ranked by the jury's combined ranking
    placed: list[Placed] = field(default_factory=list)


def challenge_result(
    session: Session, challenge: Challenge, prizes: list[dict[str, Any]]
) -> ChallengeResult:
    mine = [p for p in prizes if p.get("challenge") == challenge.slug]
    if not challenge.private_revealed:
        return ChallengeResult(challenge, final=False, judged=False)
    spec = JudgingSpec.from_config(challenge.config)
    ranked = jury.ranking(session, challenge, spec) if spec is not None else []
    if ranked and any(r.reviews for r in ranked):
        rows = [(r.position, r.team_name, r.team_id) for r in ranked]
        judged = True
    else:
        rows = [
            (r.rank, r.team_name, r.team_id) for r in jury.final_phase_board(session, challenge)
        ]
        judged = False
    placed = [
        Placed(rank, name, [p for p in mine if p.get("rank") == rank], team_id)
        for rank, name, team_id in rows
        if rank <= PODIUM
    ]
    return ChallengeResult(challenge, final=True, judged=judged, placed=placed)


def prize_key(prize: dict[str, Any]) -> str:
    """What an award is kept under: the prize's track and English title, so reordering the
    prizes in event.yaml keeps the awards (renaming a prize leaves its award behind)."""
    title = prize.get("title") or {}
    return f"{prize.get('track')}:{title.get('en') or title.get('it') or ''}"


@dataclass(frozen=True)
class Candidate:
    team_id: int
    team_name: str
    challenge: Challenge


@dataclass(frozen=True)
class TrackPrize:
    """A prize of the whole track: the organisers award it to a team of one of its challenges."""

    prize: dict[str, Any]
    key: str
    winner: Candidate | None


@dataclass(frozen=True)
class TrackResult:
    track: TrackView
    prizes: list[TrackPrize]
    challenges: list[ChallengeResult]
    candidates: list[Candidate]  # the teams a track prize may go to (organisers' form)


def candidates_of(session: Session, challenges: list[Challenge]) -> list[Candidate]:
    """The teams of the track's challenges still in the competition, by challenge and name."""
    ids = [c.id for c in challenges if c.id is not None]
    by_id = {c.id: c for c in challenges}
    teams = session.exec(
        select(Team)
        .where(col(Team.challenge_id).in_(ids))
        .where(col(Team.disqualified_reason).is_(None))
        .order_by(col(Team.challenge_id), col(Team.name))
    ).all()
    return [Candidate(t.id, t.name, by_id[t.challenge_id]) for t in teams if t.id is not None]


def event_results(session: Session, event: Event) -> list[TrackResult]:
    prizes: list[dict[str, Any]] = event.config.get("prizes", [])
    results = []
    for track in tracks_of(session, event):
        candidates = candidates_of(session, track.challenges)
        by_team = {c.team_id: c for c in candidates}
        own = [p for p in prizes if p.get("track") == track.slug and not p.get("challenge")]
        results.append(
            TrackResult(
                track,
                [
                    TrackPrize(p, prize_key(p), by_team.get(event.awards.get(prize_key(p), -1)))
                    for p in own
                ],
                [challenge_result(session, c, prizes) for c in track.challenges],
                candidates,
            )
        )
    return results
