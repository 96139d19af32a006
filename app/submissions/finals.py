"""A team's choice of final submissions for the private board (Kaggle's rule), and when it locks.

Up to N (the bundle's `leaderboard.final_submissions`) scored submissions per
team and phase; a team that chooses none is ranked by its best public ones
(see `app.leaderboard.boards.final_board`). The team row is locked first, so two
members choosing at once cannot exceed N.

**The lock.** A choice can change only while its phase is open (start <= now <
end) and the private board has never been revealed. The private board is
built from the current choices, so with the lock the current choices *are* the
choices as they stood when the phase ended (or at the reveal, if that came
first): nothing may change them afterwards. Every path that could is checked
here, in one place:

- choosing and unchoosing (the page and the API both call `set_final`);
- the reveal (`app.organisers.freeze.reveal`) locks every team and writes down
  the implicit choice of the teams that chose none (`choose_defaults`), so a
  later rescore, a late result or a new N cannot move it;
- phase dates, from the organiser page or a bundle reload
  (`dates_change_refused`): once the private board has been revealed, a phase
  that has ended cannot be made to run again;
- a bundle reload that changes N after some phase's choices locked
  (`bundle_update_refused`).

"Revealed" means revealed at least once: hiding the private board again does
not reopen the choices, because people have seen the private scores. The first
`board.reveal` event of the audit log (append-only) says when that happened.

Before the reveal, reopening an ended phase is allowed and reopens its choices
with it: nobody outside the staff has seen a private score, and the phase's
end is simply later. Every change of a choice writes a `SubmissionEvent`
(status `final` or `not-final`, with who), shown on the submission's page to
the team and the organisers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.leaderboard.boards import final_count
from app.leaderboard.ranking import BoardSpec, sort_key
from app.submissions.models import Score, Status, Submission, SubmissionEvent
from app.teams.locking import lock_team

REVEAL_ACTION = "board.reveal"
EVENT_CHOSEN = "final"
EVENT_UNCHOSEN = "not-final"


@dataclass(frozen=True)
class FinalsLock:
    """Why and since when the final choices of a phase cannot change."""

    reason: str  # "revealed" | "phase_ended" | "not_started"
    at: datetime
    message: str


def _utc(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def first_reveal(session: Session, challenge: Challenge) -> datetime | None:
    """When the private board was first revealed, even if it was hidden again since.

    A challenge marked revealed without an audit event (set by hand in the
    database) counts as revealed since its last change.
    """
    at = session.exec(
        select(AuditEvent.at)
        .where(AuditEvent.challenge_id == challenge.id, AuditEvent.action == REVEAL_ACTION)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
        .limit(1)
    ).first()
    if at is None and challenge.private_revealed:
        return challenge.updated_at
    return at


def finals_lock(
    session: Session, challenge: Challenge, phase: Phase, now: datetime | None = None
) -> FinalsLock | None:
    """None while the phase's choices may change; else the lock, with a message for the team."""
    now = now or utcnow()
    revealed = first_reveal(session, challenge)
    ended = now >= phase.end
    if revealed is not None and (not ended or revealed < phase.end):
        return FinalsLock(
            "revealed",
            revealed,
            _(
                "Final choices for phase {phase} closed on {when}, when the organisers revealed "
                "the private leaderboard; your team's choice stays as it was then."
            ).format(phase=repr(phase.name), when=_utc(revealed)),
        )
    if ended:
        return FinalsLock(
            "phase_ended",
            phase.end,
            _(
                "Final choices for phase {phase} closed on {when}, when the phase ended; your "
                "team's choice stays as it was then."
            ).format(phase=repr(phase.name), when=_utc(phase.end)),
        )
    if now < phase.start:
        return FinalsLock(
            "not_started",
            phase.start,
            _("Phase {phase} opens on {when}; final choices open with it.").format(
                phase=repr(phase.name), when=_utc(phase.start)
            ),
        )
    return None


def _record(session: Session, submission: Submission, chosen: bool, detail: str) -> None:
    assert submission.id is not None
    session.add(
        SubmissionEvent(
            submission_id=submission.id,
            status=EVENT_CHOSEN if chosen else EVENT_UNCHOSEN,
            detail=detail[:2000],
        )
    )


def set_final(
    session: Session,
    challenge: Challenge,
    submission: Submission,
    selected: bool,
    actor: User,
    now: datetime | None = None,
) -> Submission | Refusal:
    """Select or unselect; must be the first statement of its transaction (lock_team).

    The lock is checked after the team lock, so a reveal (which locks every
    team) either sees this choice or makes it fail: never both.
    """
    lock_team(session, submission.team_id)
    session.refresh(submission)
    session.refresh(challenge)
    phase = session.get(Phase, submission.phase_id)
    assert phase is not None
    session.refresh(phase)
    lock = finals_lock(session, challenge, phase, now)
    if lock is not None:
        return Refusal(Kind.conflict, lock.message, "locked")
    if submission.selected_final == selected:
        return submission  # nothing changes, so nothing is written in the history
    if not selected:
        submission.selected_final = False
        session.add(submission)
        _record(
            session, submission, False, f"No longer a final submission: unchosen by {actor.name}."
        )
        return submission
    if submission.status != Status.scored:
        return Refusal(
            Kind.conflict, _("Only a scored submission can be chosen as final."), "not_scored"
        )
    limit = final_count(challenge)
    chosen = session.exec(
        select(func.count()).where(
            Submission.team_id == submission.team_id,
            Submission.phase_id == submission.phase_id,
            col(Submission.selected_final).is_(True),
            Submission.id != submission.id,
        )
    ).one()
    if chosen >= limit:
        return Refusal(
            Kind.conflict,
            _(
                "Your team has already chosen {chosen} final submission(s), the most this "
                "challenge allows ({limit}); unselect one first."
            ).format(chosen=chosen, limit=limit),
            "too_many",
        )
    submission.selected_final = True
    session.add(submission)
    _record(session, submission, True, f"Chosen as final by {actor.name}.")
    return submission


def choose_defaults(session: Session, challenge: Challenge) -> int:
    """At the reveal: write down the implicit choice of every team that chose none.

    That choice is "the N best by the public board's rules" (as in
    `final_board`); computed later it could move with a rescore or a result that
    arrives after the reveal, so it is fixed now, as explicit choices are. The
    caller holds every team's lock. Returns how many submissions were chosen.
    """
    assert challenge.id is not None
    spec = BoardSpec.from_config(challenge.config)
    n = final_count(challenge)
    rows = session.execute(
        sa_select(
            col(Submission.id),
            col(Submission.team_id),
            col(Submission.phase_id),
            col(Submission.created_at),
            col(Submission.selected_final),
            col(Score.split),
            col(Score.key),
            col(Score.value),
        )
        .join(Score, col(Score.submission_id) == col(Submission.id))
        .where(
            col(Submission.challenge_id) == challenge.id,
            col(Submission.status) == Status.scored,
            col(Score.current).is_(True),
        )
    ).all()
    subs: dict[int, tuple[int, int, datetime, bool, dict[str, float]]] = {}
    for sub_id, team_id, phase_id, created_at, selected, split, key, value in rows:
        entry = subs.setdefault(sub_id, (team_id, phase_id, created_at, bool(selected), {}))
        if split == "public":
            entry[4][key] = value
    groups: dict[tuple[int, int], list[int]] = {}
    for sub_id, (team_id, phase_id, *_rest) in subs.items():
        groups.setdefault((team_id, phase_id), []).append(sub_id)
    chosen_count = 0
    for ids in groups.values():
        if any(subs[i][3] for i in ids):
            continue
        best = sorted(ids, key=lambda i: sort_key(spec, subs[i][4], subs[i][2], i))[:n]
        for sub_id in best:
            submission = session.get(Submission, sub_id)
            assert submission is not None
            submission.selected_final = True
            session.add(submission)
            _record(
                session,
                submission,
                True,
                "Chosen as final automatically when the private leaderboard was revealed: the "
                f"team had chosen none, so its {n} best public submission(s) count.",
            )
            chosen_count += 1
    return chosen_count


def dates_change_refused(
    session: Session,
    challenge: Challenge,
    phase: Phase,
    new_start: datetime,
    new_end: datetime,
    now: datetime | None = None,
) -> str | None:
    """Why the phase may not get these dates, or None.

    After the reveal, a phase that has ended may not run again: its choices are
    locked and the teams have seen the private scores, so more submissions
    would be judged against a private split they know. Dates that stay in the
    past, and phases that have not ended, may still move (their choices are
    locked by the reveal whatever the dates say).
    """
    now = now or utcnow()
    if phase.end > now or new_end <= now:
        return None
    revealed = first_reveal(session, challenge)
    if revealed is None:
        return None
    return _(
        "Phase {phase} ended on {end} and the private leaderboard was revealed on {revealed}: "
        "its final choices are locked and teams have seen the private scores, so it cannot "
        "open again. Keep its end in the past (for more submissions, add a new phase to the "
        "bundle)."
    ).format(phase=repr(phase.name), end=_utc(phase.end), revealed=_utc(revealed))


def _config_final_count(config: Mapping[str, Any]) -> int:
    return int((config.get("leaderboard") or {}).get("final_submissions", 2))


def bundle_update_refused(
    session: Session,
    challenge: Challenge,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> str | None:
    """Why a new bundle version may not replace this challenge's, or None.

    Its phases may not reopen an ended phase after the reveal (as
    `dates_change_refused`), and N may not change once some phase that has
    submissions has locked its choices: the private board counts N per team,
    so a new N would change a set of finals after the lock.
    """
    assert challenge.id is not None
    now = now or utcnow()
    phases = {
        p.name: p for p in session.exec(select(Phase).where(Phase.challenge_id == challenge.id))
    }
    for item in config.get("phases") or []:
        phase = phases.get(item["name"])
        if phase is None:
            continue
        start = datetime.fromisoformat(str(item["start"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(item["end"]).replace("Z", "+00:00"))
        problem = dates_change_refused(session, challenge, phase, start, end, now)
        if problem is not None:
            return f"{problem} Write its current dates in challenge.yaml."
    old_n, new_n = final_count(challenge), _config_final_count(config)
    if old_n == new_n:
        return None
    for phase in phases.values():
        used = session.exec(select(func.count()).where(Submission.phase_id == phase.id)).one()
        lock = finals_lock(session, challenge, phase, now) if used else None
        if lock is not None and lock.reason != "not_started":
            return (
                f"leaderboard.final_submissions cannot change from {old_n} to {new_n}: the final "
                f"choices of phase {phase.name!r} are locked since {_utc(lock.at)}. Keep {old_n}."
            )
    return None
