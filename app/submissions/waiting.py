"""While a submission waits or runs: where it stands in the queue and how long it may take.

The queue is shared by every challenge of the site and the dispatcher is fair between
teams (`app.queue.dispatch`), so the position is an honest "about": the queued
submissions created before this one. The estimate is the median duration of the last
runs of the same challenge (their own programs and scorers set the pace), multiplied
out over the runs going on now, which stand for the workers there are. Read only, no
queue import: it is what the database says.
"""

from __future__ import annotations

import math
import posixpath
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from app.challenges.models import Phase
from app.core.db import utcnow
from app.submissions.models import Status, Submission
from app.text.timefmt import as_utc

RECENT_RUNS = 20


@dataclass(frozen=True)
class Waiting:
    status: str
    ahead: int | None  # queued submissions created before this one (queued only)
    running_now: int  # runs going on now, on the whole site
    typical_s: float | None  # median duration of the recent runs of this challenge
    runs_counted: int  # how many runs that median is of
    estimate_s: float | None  # until the result, roughly; None without recent runs
    elapsed_s: float | None  # since the run started (running only)
    limit_s: int | None  # the program's time limit (code phases only)


def recent_durations(session: Session, challenge_id: int, limit: int = RECENT_RUNS) -> list[float]:
    rows = session.exec(
        select(Submission.duration_s)
        .where(
            Submission.challenge_id == challenge_id,
            col(Submission.duration_s).is_not(None),
            col(Submission.status).in_([Status.scored, Status.failed]),
        )
        .order_by(col(Submission.finished_at).desc(), col(Submission.id).desc())
        .limit(limit)
    ).all()
    return [float(d) for d in rows if d is not None]


def time_limit_s(phase: Phase) -> int | None:
    """The program's wall-clock limit of a code phase (the bundle's `code.time_limit_s`)."""
    if phase.kind != "code":
        return None
    value = (phase.code or {}).get("time_limit_s", 300)
    return int(value) if isinstance(value, int | float) else None


def waiting_of(
    session: Session, submission: Submission, phase: Phase, now: datetime | None = None
) -> Waiting | None:
    """None once the submission is final: there is nothing left to wait for."""
    if submission.status not in (Status.queued, Status.running):
        return None
    now = now or utcnow()
    durations = recent_durations(session, submission.challenge_id)
    typical = statistics.median(durations) if durations else None
    running_now = session.exec(
        select(func.count()).where(col(Submission.status) == Status.running)
    ).one()
    ahead: int | None = None
    elapsed: float | None = None
    estimate: float | None = None
    if submission.status == Status.queued:
        ahead = session.exec(
            select(func.count()).where(
                col(Submission.status) == Status.queued,
                or_(
                    col(Submission.created_at) < submission.created_at,
                    and_(
                        col(Submission.created_at) == submission.created_at,
                        col(Submission.id) < submission.id,
                    ),
                ),
            )
        ).one()
        if typical is not None:
            rounds = math.ceil((ahead + 1) / max(1, running_now))
            estimate = typical * rounds
    else:
        if submission.started_at is not None:
            elapsed = max(0.0, (as_utc(now) - as_utc(submission.started_at)).total_seconds())
        if typical is not None and elapsed is not None:
            estimate = max(0.0, typical - elapsed)
    return Waiting(
        status=submission.status,
        ahead=ahead,
        running_now=running_now,
        typical_s=typical,
        runs_counted=len(durations),
        estimate_s=estimate,
        elapsed_s=elapsed,
        limit_s=time_limit_s(phase),
    )


@dataclass(frozen=True)
class CodeRun:
    """What the submit page tells a team about to upload a program (a code phase's settings)."""

    command: list[str]
    time_limit_s: int
    memory_mb: int
    cpus: float
    predictions_file: str
    inputs: list[str]


def code_run(config: Mapping[str, Any], phase: Phase) -> CodeRun | None:
    """The bundle's `code` block of a code phase with its defaults (`app.bundles.schema.CodeRun`)."""
    if phase.kind != "code":
        return None
    code = phase.code or {}
    scoring = config.get("scoring") or {}
    data = config.get("data") or {}
    return CodeRun(
        command=[str(part) for part in code.get("command") or []],
        time_limit_s=int(code.get("time_limit_s") or 300),
        memory_mb=int(code.get("memory_mb") or 1024),
        cpus=float(code.get("cpus") or 1.0),
        predictions_file=str(scoring.get("predictions_file") or "predictions.csv"),
        inputs=_below_common_folder(
            [str(item.get("path")) for item in data.get("inputs") or [] if isinstance(item, dict)]
        ),
    )


def _below_common_folder(paths: list[str]) -> list[str]:
    """Input files as the program finds them under $MAREA_INPUT_DIR (`ChallengeDirs`)."""
    if not paths:
        return []
    parents = [posixpath.dirname(posixpath.normpath(p)) for p in paths]
    common = posixpath.commonpath(parents) if all(parents) else ""
    return [posixpath.relpath(posixpath.normpath(p), common or ".") for p in paths]
