"""Opening, reviewing, applying and discarding rescore sets.

A set judges submissions again with the challenge as it is now (typically a
new scoring program). Nothing changes for participants until an organiser has
compared old and new and applied the set; then the new scores become a new
Score version, the old ones stay as history, and the affected teams' board
entries are rebuilt. An item whose new run failed keeps its old score: a
rescore never takes away a result because of a problem in the new run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import rebuild_entries
from app.rescoring.items import skip_pending
from app.rescoring.models import (
    OPEN_SET_STATUSES,
    ItemStatus,
    RescoreItem,
    RescoreSet,
    SetStatus,
)
from app.submissions.models import Score, Status, Submission, SubmissionEvent
from app.teams.models import Team

RESCUABLE_FAILURES = ("scoring_error", "internal_error")
"""Failures that were never the team's fault: a fixed scoring program may score them."""

REASON_MAX = 2000


def current_scores(
    session: Session, submission_ids: list[int]
) -> dict[int, dict[str, dict[str, float]]]:
    found: dict[int, dict[str, dict[str, float]]] = {sid: {} for sid in submission_ids}
    if not submission_ids:
        return found
    rows = session.exec(
        select(Score.submission_id, Score.split, Score.key, Score.value).where(
            col(Score.submission_id).in_(submission_ids), col(Score.current).is_(True)
        )
    ).all()
    for submission_id, split, key, value in rows:
        found[submission_id].setdefault(split, {})[key] = value
    return found


def open_set_of_phase(session: Session, phase_id: int) -> RescoreSet | None:
    return session.exec(
        select(RescoreSet).where(
            RescoreSet.phase_id == phase_id, col(RescoreSet.status).in_(OPEN_SET_STATUSES)
        )
    ).first()


def _phase(session: Session, challenge: Challenge, name: str) -> Phase | Refusal:
    phase = session.exec(
        select(Phase).where(Phase.challenge_id == challenge.id, Phase.name == name)
    ).first()
    if phase is None:
        return Refusal(Kind.not_found, f"This challenge has no phase called {name!r}.")
    return phase


def _eligible(submission: Submission) -> bool:
    return submission.status == Status.scored or (
        submission.status == Status.failed and submission.failure in RESCUABLE_FAILURES
    )


def open_phase_set(
    session: Session, actor: User, challenge: Challenge, phase_name: str, reason: str
) -> RescoreSet | Refusal:
    """Every scored submission of the phase, and those that failed on the organisers' side."""
    phase = _phase(session, challenge, phase_name)
    if isinstance(phase, Refusal):
        return phase
    candidates = session.exec(
        select(Submission)
        .where(
            Submission.phase_id == phase.id,
            col(Submission.status).in_([Status.scored, Status.failed]),
        )
        .order_by(col(Submission.id))
    ).all()
    chosen = [s for s in candidates if _eligible(s)]
    if not chosen:
        return Refusal(
            Kind.invalid,
            "This phase has no scored submission (nor one failed by the scoring program) to "
            "judge again.",
        )
    return _open(session, actor, challenge, phase, chosen, "phase", reason)


def open_submission_set(
    session: Session, actor: User, challenge: Challenge, submission_id: int, reason: str
) -> RescoreSet | Refusal:
    submission = session.get(Submission, submission_id)
    if submission is None or submission.challenge_id != challenge.id:
        return Refusal(Kind.not_found, f"This challenge has no submission number {submission_id}.")
    if not _eligible(submission):
        return Refusal(
            Kind.invalid,
            f"Submission {submission_id} is {submission.status}"
            + (f" ({submission.failure})" if submission.failure else "")
            + "; only scored submissions, or ones the scoring program failed, can be judged "
            "again.",
        )
    phase = session.get(Phase, submission.phase_id)
    assert phase is not None
    return _open(session, actor, challenge, phase, [submission], "submission", reason)


def _open(
    session: Session,
    actor: User,
    challenge: Challenge,
    phase: Phase,
    submissions: list[Submission],
    scope: str,
    reason: str,
) -> RescoreSet | Refusal:
    assert phase.id is not None and challenge.id is not None
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        return Refusal(Kind.invalid, f"Keep the reason under {REASON_MAX} characters.")
    busy = open_set_of_phase(session, phase.id)
    if busy is not None:
        return Refusal(
            Kind.conflict,
            f"Rescore set {busy.id} of this phase is still open ({busy.status}); apply or discard "
            "it before starting another, so that two sets never replace the same scores.",
        )
    rescore = RescoreSet(
        challenge_id=challenge.id,
        phase_id=phase.id,
        scope=scope,
        reason=reason,
        bundle_version=challenge.version,
        created_by=actor.id,
    )
    session.add(rescore)
    session.flush()
    assert rescore.id is not None
    ids = [s.id for s in submissions if s.id is not None]
    old = current_scores(session, ids)
    for submission in submissions:
        assert submission.id is not None
        session.add(
            RescoreItem(
                set_id=rescore.id,
                submission_id=submission.id,
                old_status=str(submission.status),
                old_scores=old[submission.id],
            )
        )
    record(
        session,
        actor,
        challenge.id,
        "rescore.start",
        f"set {rescore.id}",
        {
            "set_id": rescore.id,
            "phase": phase.name,
            "scope": scope,
            "submissions": len(ids),
            "bundle_version": challenge.version,
            "reason": reason,
        },
    )
    return rescore


def discard(
    session: Session, actor: User, challenge: Challenge, rescore: RescoreSet
) -> RescoreSet | Refusal:
    if rescore.status not in OPEN_SET_STATUSES:
        return Refusal(Kind.conflict, f"Rescore set {rescore.id} is already {rescore.status}.")
    assert rescore.id is not None
    skipped = skip_pending(session, rescore.id)
    rescore.status = SetStatus.discarded
    rescore.decided_by = actor.id
    rescore.decided_at = utcnow()
    session.add(rescore)
    record(
        session,
        actor,
        challenge.id,
        "rescore.discard",
        f"set {rescore.id}",
        {"set_id": rescore.id, "not_judged": skipped},
    )
    return rescore


@dataclass
class Applied:
    """What applying did, for the organiser's message and the audit log."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    kept_old: list[int] = field(default_factory=list)  # the new run failed
    rescued: list[int] = field(default_factory=list)  # failed before, scored now
    gone: list[int] = field(default_factory=list)  # cancelled meanwhile: left alone
    teams: set[int] = field(default_factory=set)


def apply(
    session: Session, actor: User, challenge: Challenge, rescore: RescoreSet
) -> Applied | Refusal:
    if rescore.status == SetStatus.judging:
        counts = progress(session, rescore)
        pending = counts[ItemStatus.queued] + counts[ItemStatus.running]
        return Refusal(
            Kind.conflict,
            f"{pending} of {sum(counts.values())} submissions are still being judged again; "
            "apply the set when all are done.",
        )
    if rescore.status != SetStatus.ready:
        return Refusal(Kind.conflict, f"Rescore set {rescore.id} is already {rescore.status}.")
    assert rescore.id is not None
    # Claim the decision first, so two organisers pressing "apply" apply it once.
    won = session.execute(
        update(RescoreSet)
        .where(col(RescoreSet.id) == rescore.id, col(RescoreSet.status) == SetStatus.ready)
        .values(status=SetStatus.applied, decided_by=actor.id, decided_at=utcnow())
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        return Refusal(Kind.conflict, f"Rescore set {rescore.id} was decided by someone else.")
    outcome = Applied()
    items = session.exec(select(RescoreItem).where(RescoreItem.set_id == rescore.id)).all()
    for item in items:
        submission = session.get(Submission, item.submission_id)
        assert submission is not None and submission.id is not None and item.id is not None
        if not _eligible(submission):
            outcome.gone.append(submission.id)
            continue
        if item.status != ItemStatus.scored:
            outcome.kept_old.append(submission.id)
            continue
        if item.new_scores == item.old_scores and submission.status == Status.scored:
            outcome.unchanged.append(submission.id)
            continue
        _write_version(session, submission.id, item.id, item.new_scores)
        if submission.status == Status.failed:
            submission.status = Status.scored
            submission.failure = None
            submission.message = ""
            submission.message_i18n = None
            session.add(submission)
            outcome.rescued.append(submission.id)
        else:
            outcome.changed.append(submission.id)
        session.add(
            SubmissionEvent(
                submission_id=submission.id,
                status=Status.scored.value,
                detail=(
                    f"judged again by the organisers (rescore set {rescore.id}, bundle version "
                    f"{rescore.bundle_version}); the new scores replace the old ones"
                ),
            )
        )
        outcome.teams.add(submission.team_id)
    session.flush()
    rebuild_entries(
        session, BoardSpec.from_config(challenge.config), rescore.phase_id, outcome.teams
    )
    record(
        session,
        actor,
        challenge.id,
        "rescore.apply",
        f"set {rescore.id}",
        {
            "set_id": rescore.id,
            "changed": len(outcome.changed),
            "rescued": len(outcome.rescued),
            "unchanged": len(outcome.unchanged),
            "kept_old_after_failure": len(outcome.kept_old),
            "left_alone": len(outcome.gone),
        },
    )
    session.refresh(rescore)
    return outcome


def _write_version(
    session: Session, submission_id: int, item_id: int, scores: dict[str, dict[str, float]]
) -> None:
    """A new Score version becomes current; the old rows stay, marked as history."""
    previous = session.exec(
        select(func.max(Score.version)).where(Score.submission_id == submission_id)
    ).one()
    version = int(previous or 0) + 1
    session.execute(
        update(Score)
        .where(col(Score.submission_id) == submission_id, col(Score.current).is_(True))
        .values(current=False)
    )
    for split, values in scores.items():
        for key, value in values.items():
            session.add(
                Score(
                    submission_id=submission_id,
                    version=version,
                    split=split,
                    key=key,
                    value=value,
                    rescore_item_id=item_id,
                )
            )


def progress(session: Session, rescore: RescoreSet) -> Counter[ItemStatus]:
    rows = session.exec(
        select(RescoreItem.status, func.count())
        .where(RescoreItem.set_id == rescore.id)
        .group_by(col(RescoreItem.status))
    ).all()
    counts: Counter[ItemStatus] = Counter({status: 0 for status in ItemStatus})
    for status, count in rows:
        counts[ItemStatus(status)] = count
    return counts


def sets_of(session: Session, challenge_id: int) -> list[RescoreSet]:
    return list(
        session.exec(
            select(RescoreSet)
            .where(RescoreSet.challenge_id == challenge_id)
            .order_by(col(RescoreSet.id).desc())
        )
    )


@dataclass(frozen=True)
class ReviewRow:
    """One submission, old beside new, as the organiser compares them."""

    item: RescoreItem
    team_name: str
    submitted_at: datetime
    columns: list[tuple[str, str, float | None, float | None]]  # split, key, old, new

    @property
    def differs(self) -> bool:
        return any(old != new for _, _, old, new in self.columns)


def review(session: Session, rescore: RescoreSet) -> list[ReviewRow]:
    rows = session.exec(
        select(RescoreItem, Team.name, Submission.created_at)
        .join(Submission, col(Submission.id) == col(RescoreItem.submission_id))
        .join(Team, col(Team.id) == col(Submission.team_id))
        .where(RescoreItem.set_id == rescore.id)
        .order_by(col(Team.name), col(Submission.id))
    ).all()
    result = []
    for item, team_name, submitted_at in rows:
        keys = sorted(
            {(split, key) for split, values in item.old_scores.items() for key in values}
            | {(split, key) for split, values in item.new_scores.items() for key in values}
        )
        columns = [
            (
                split,
                key,
                item.old_scores.get(split, {}).get(key),
                item.new_scores.get(split, {}).get(key),
            )
            for split, key in keys
        ]
        result.append(ReviewRow(item, team_name, submitted_at, columns))
    return result
