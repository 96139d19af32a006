"""The winners of an event: per challenge, its final ranking once it is final.

A challenge's ranking is final once its private board is revealed: the jury's combined
ranking when judges reviewed its finalists, the private board of its last phase otherwise.
Before that, the winners page says the results are not final and shows nothing of the
board, for organisers too, so that publishing the page cannot leak a private score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.challenges.models import Challenge
from app.events.models import Event
from app.events.service import TrackView, tracks_of
from app.jury import service as jury
from app.jury.ranking import JudgingSpec

PODIUM = 3


@dataclass(frozen=True)
class Placed:
    rank: int
    team_name: str
    prizes: list[dict[str, Any]]


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
        rows = [(r.position, r.team_name) for r in ranked]
        judged = True
    else:
        rows = [(r.rank, r.team_name) for r in jury.final_phase_board(session, challenge)]
        judged = False
    placed = [
        Placed(rank, name, [p for p in mine if p.get("rank") == rank])
        for rank, name in rows
        if rank <= PODIUM
    ]
    return ChallengeResult(challenge, final=True, judged=judged, placed=placed)


@dataclass(frozen=True)
class TrackResult:
    track: TrackView
    prizes: list[dict[str, Any]]  # the track's own prizes (awarded by the organisers)
    challenges: list[ChallengeResult]


def event_results(session: Session, event: Event) -> list[TrackResult]:
    prizes: list[dict[str, Any]] = event.config.get("prizes", [])
    return [
        TrackResult(
            track,
            [p for p in prizes if p.get("track") == track.slug],
            [challenge_result(session, c, prizes) for c in track.challenges],
        )
        for track in tracks_of(session, event)
    ]
