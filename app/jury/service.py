"""Who judges what, the finalists they see, and their reviews.

A judge sees a challenge only once an organiser assigned them, and never
reviews a team they belong to: the conflict is checked here, where every
review is saved, so no route can forget it. Every assignment and review is
written to the audit log in the same transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.accounts.service import role_at_least, user_by_email
from app.audit.service import record
from app.challenges import service as challenges
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.jury.models import JudgeAssignment, Review
from app.jury.ranking import Finalist, JudgingSpec, Ranked, Rating, combine
from app.leaderboard.boards import LIVE
from app.leaderboard.service import BoardRow
from app.leaderboard.views import board_rows
from app.projects.review_gate import project_track, review_refusal
from app.roles import service as roles
from app.submissions.access import is_member
from app.teams.models import Membership, Team
from app.teams.service import team_of
from app.text.csv_cells import safe_cell


def judges_of(session: Session, challenge_id: int) -> list[User]:
    """Assigned to the challenge by its organisers, or judges of its whole event (event.yaml
    or an invitation), whose account exists: the people whose reviews count."""
    challenge = session.get(Challenge, challenge_id)
    found: dict[int, User] = {
        user.id: user
        for user in session.exec(
            select(User)
            .join(JudgeAssignment, col(JudgeAssignment.user_id) == col(User.id))
            .where(JudgeAssignment.challenge_id == challenge_id)
        )
        if user.id is not None
    }
    if challenge is not None:
        for user in roles.judges_by_grant(session, challenge):
            if user.id is not None:
                found.setdefault(user.id, user)
    return sorted(found.values(), key=lambda u: (u.name, u.id or 0))


def is_assigned(session: Session, challenge_id: int, user_id: int) -> bool:
    """Judges this challenge: assigned to it, or a judge of its event."""
    user = session.get(User, user_id)
    challenge = session.get(Challenge, challenge_id)
    if user is None or challenge is None:
        return False
    return roles.judges(roles.scope_of(session, user), challenge)


def competes(session: Session, challenge_id: int, user_id: int) -> Refusal | None:
    """Someone in a team of the challenge is a participant there, whatever their role.

    A judge's pages show the live and (before the reveal) hidden standings of
    every team, so a judge who competes may not see them at all, not only not
    review their own team.
    """
    if team_of(session, challenge_id, user_id) is None:
        return None
    return Refusal(
        Kind.forbidden,
        "You are in a team of this challenge, so you take part in it as a participant and "
        "cannot judge it; ask the organisers to assign another judge.",
    )


def challenges_judged_by(session: Session, user_id: int) -> list[Challenge]:
    user = session.get(User, user_id)
    if user is None:
        return []
    ids = roles.judged_ids(session, roles.scope_of(session, user))
    stmt = select(Challenge).where(col(Challenge.id).in_(ids)).order_by(col(Challenge.slug))
    return list(session.exec(stmt))


def assign(session: Session, actor: User, challenge: Challenge, email: str) -> Refusal | User:
    assert challenge.id is not None
    user = user_by_email(session, email.strip())
    if user is None or user.id is None:
        return Refusal(Kind.not_found, f"Nobody has an account with the email {email.strip()!r}.")
    if not role_at_least(user.role, Role.judge):
        return Refusal(
            Kind.invalid,
            f"{user.email} is a {user.role}; an admin must give them the judge role first, "
            f"on the users page (/admin/users/{user.id}).",
        )
    refused = competes(session, challenge.id, user.id)
    if refused is not None:
        return Refusal(
            Kind.forbidden,
            f"{user.email} is in a team of this challenge, so they cannot judge it.",
        )
    if not is_assigned(session, challenge.id, user.id):
        session.add(JudgeAssignment(challenge_id=challenge.id, user_id=user.id))
        record(session, actor, challenge.id, "judge.assign", user.email, {"user_id": user.id})
    return user


def unassign(session: Session, actor: User, challenge: Challenge, email: str) -> Refusal | None:
    """Their reviews stay: they were given, and the audit log refers to them.

    Removing someone who no longer judges is not an error: the end state is the one asked for.
    """
    assert challenge.id is not None
    user = user_by_email(session, email.strip())
    assignment = (
        session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.challenge_id == challenge.id, JudgeAssignment.user_id == user.id
            )
        ).first()
        if user is not None
        else None
    )
    if user is None:
        return Refusal(Kind.not_found, f"Nobody has an account with the email {email.strip()!r}.")
    if assignment is None:
        if user.id is not None and is_assigned(session, challenge.id, user.id):
            return Refusal(
                Kind.conflict,
                f"{user.email} judges every challenge of this event: they are listed in the "
                "event's judges (event.yaml, or an administrator's invitation); take them "
                "off that list instead.",
            )
        return None
    session.delete(assignment)
    record(session, actor, challenge.id, "judge.unassign", user.email, {"user_id": user.id})
    return None


def final_phase_board(session: Session, challenge: Challenge) -> list[BoardRow]:
    """The board of the challenge's last scored phase: private once revealed, public until then.

    A project phase has no board (its projects are reviewed, not scored), so in a challenge
    with metric phases and a project phase the finalists still come from the last metric one.
    """
    assert challenge.id is not None
    phases = [p for p in challenges.phases_of(session, challenge.id) if p.kind != "project"]
    if not phases:
        return []
    split = "private" if challenge.private_revealed else "public"
    return board_rows(session, challenge, phases[-1], split, LIVE)


def finalists(session: Session, challenge: Challenge, spec: JudgingSpec) -> list[BoardRow]:
    return final_phase_board(session, challenge)[: spec.finalists]


def finalist_row(
    session: Session, challenge: Challenge, spec: JudgingSpec, team_id: int
) -> BoardRow | None:
    return next((r for r in finalists(session, challenge, spec) if r.team_id == team_id), None)


def conflict(session: Session, judge: User, team_id: int) -> Refusal | None:
    assert judge.id is not None
    if is_member(session, team_id, judge.id):
        return Refusal(
            Kind.forbidden,
            "You are a member of this team, so you may not judge it; "
            "the other judges will review it.",
        )
    return None


def review_of(session: Session, challenge_id: int, team_id: int, judge_id: int) -> Review | None:
    return session.exec(
        select(Review).where(
            Review.challenge_id == challenge_id,
            Review.team_id == team_id,
            Review.judge_id == judge_id,
        )
    ).first()


def parse_ratings(spec: JudgingSpec, form: dict[str, str]) -> Refusal | dict[str, float]:
    """One number per criterion, within the scale; field names are `rating_<key>`."""
    ratings: dict[str, float] = {}
    for criterion in spec.criteria:
        raw = form.get(f"rating_{criterion.key}", "").strip()
        try:
            value = float(raw)
        except ValueError:
            return Refusal(Kind.invalid, f"Give a number for {criterion.key!r}.")
        if not spec.scale_min <= value <= spec.scale_max:
            return Refusal(
                Kind.invalid,
                f"{criterion.key!r} must be between {spec.scale_min:g} and {spec.scale_max:g}.",
            )
        ratings[criterion.key] = value
    return ratings


def save_review(
    session: Session,
    judge: User,
    challenge: Challenge,
    spec: JudgingSpec,
    team_id: int,
    form: dict[str, str],
) -> Refusal | Review:
    """Create or replace this judge's review of the team (one per judge and team)."""
    assert challenge.id is not None and judge.id is not None
    refused = conflict(session, judge, team_id)
    if refused is not None:
        return refused
    if project_track(challenge.config):
        # A project track has no board: a judge rates the projects assigned to them.
        refused = review_refusal(session, challenge.id, team_id, judge.id)
        if refused is not None:
            return refused
        team = session.get(Team, team_id)
        submission_id, team_name = None, team.name if team is not None else ""
    else:
        row = finalist_row(session, challenge, spec, team_id)
        if row is None:
            return Refusal(Kind.not_found, "This team is not among the finalists.")
        submission_id, team_name = row.submission_id, row.team_name
    ratings = parse_ratings(spec, form)
    if isinstance(ratings, Refusal):
        return ratings
    comment = form.get("comment", "").strip()
    if len(comment) > 10000:
        return Refusal(Kind.invalid, "Keep the comment under 10,000 characters.")
    review = review_of(session, challenge.id, team_id, judge.id)
    action = "review.update" if review is not None else "review.create"
    if review is None:
        review = Review(challenge_id=challenge.id, team_id=team_id, judge_id=judge.id)
    review.submission_id = submission_id
    review.ratings = ratings
    review.comment = comment
    review.updated_at = utcnow()
    session.add(review)
    record(
        session,
        judge,
        challenge.id,
        action,
        team_name,
        {"team_id": team_id, "submission_id": submission_id, "ratings": ratings},
    )
    return review


def reviews_of(session: Session, challenge_id: int) -> list[tuple[Review, User, Team]]:
    stmt = (
        select(Review, User, Team)
        .join(User, col(User.id) == col(Review.judge_id))
        .join(Team, col(Team.id) == col(Review.team_id))
        .where(Review.challenge_id == challenge_id)
    )
    return list(session.exec(stmt).all())


def ranking(session: Session, challenge: Challenge, spec: JudgingSpec) -> list[Ranked]:
    assert challenge.id is not None
    rows = finalists(session, challenge, spec)
    ratings = [
        Rating(review.judge_id, review.team_id, review.ratings)
        for review, _user, _team in reviews_of(session, challenge.id)
    ]
    return combine(spec, [Finalist(r.team_id, r.team_name, r.rank) for r in rows], ratings)


def team_members(session: Session, team_id: int) -> list[tuple[str, bool]]:
    """(name, is captain) for each member, in the order they joined: who the judge is rating.

    Names only: a judge has no use for the members' email addresses.
    """
    team = session.get(Team, team_id)
    stmt = (
        select(User.id, User.name)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.team_id == team_id)
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    captain = team.captain_id if team is not None else None
    return [(name, user_id == captain) for user_id, name in session.exec(stmt).all()]


@dataclass(frozen=True)
class Missing:
    """A finalist a judge has not rated on every criterion of the current rubric."""

    team_id: int
    team_name: str
    criteria: tuple[str, ...]  # the keys still unrated; every key when there is no review
    reviewed: bool


@dataclass(frozen=True)
class Progress:
    """How far one assigned judge is: the organisers chase the ones with `missing` entries."""

    judge: User
    competing: bool  # in a team of the challenge now: refused every judge's page of it
    to_rate: int  # the finalists they may rate (not a team they belong to)
    complete: int
    missing: tuple[Missing, ...]


def progress(session: Session, challenge: Challenge, spec: JudgingSpec) -> list[Progress]:
    """Per assigned judge, the finalists rated on every criterion and the ones still missing.

    Counted against the rubric as it is now, so a criterion added after a review shows that
    review as incomplete instead of silently complete.
    """
    assert challenge.id is not None
    rows = finalists(session, challenge, spec)
    keys = tuple(c.key for c in spec.criteria)
    rated: dict[tuple[int, int], set[str]] = {
        (review.judge_id, review.team_id): set(review.ratings)
        for review, _user, _team in reviews_of(session, challenge.id)
    }
    teams_of: dict[int, set[int]] = {}
    for user_id, team_id in session.exec(
        select(Membership.user_id, Membership.team_id).where(
            Membership.challenge_id == challenge.id
        )
    ).all():
        teams_of.setdefault(user_id, set()).add(team_id)
    result = []
    for judge in judges_of(session, challenge.id):
        assert judge.id is not None
        mine = teams_of.get(judge.id, set())
        missing = []
        for row in rows:
            if row.team_id in mine:
                continue
            given = rated.get((judge.id, row.team_id))
            left = tuple(k for k in keys if given is None or k not in given)
            if left:
                missing.append(Missing(row.team_id, row.team_name, left, given is not None))
        to_rate = sum(1 for row in rows if row.team_id not in mine)
        result.append(
            Progress(
                judge=judge,
                competing=bool(mine),
                to_rate=to_rate,
                complete=to_rate - len(missing),
                missing=tuple(missing),
            )
        )
    return result


def reviews_csv(
    session: Session, challenge: Challenge, spec: JudgingSpec | None, by: str
) -> Refusal | str:
    """Every review as one CSV row, grouped by judge or by team (the order of the rows)."""
    assert challenge.id is not None
    if by not in ("judge", "team"):
        return Refusal(Kind.invalid, "Export reviews by 'judge' or by 'team'.")
    keys = [c.key for c in spec.criteria] if spec is not None else []
    rows: list[tuple[Any, ...]] = []
    for review, user, team in reviews_of(session, challenge.id):
        rows.append(
            (
                user.name,
                user.email,
                team.name,
                review.team_id,
                review.submission_id or "",
                *(f"{review.ratings[k]:g}" if k in review.ratings else "" for k in keys),
                review.comment,
                review.updated_at.isoformat(),
            )
        )
    first = (1, 2) if by == "judge" else (2, 1)
    rows.sort(key=lambda r: (str(r[first[0]]), str(r[first[1]])))
    out = io.StringIO()
    writer = csv.writer(out)
    head: Sequence[str] = ("judge", "judge_email", "team", "team_id", "submission_id")
    writer.writerow([*head, *keys, "comment", "updated_at"])
    writer.writerows([safe_cell(v) for v in row] for row in rows)  # names, comments: no formulas
    return out.getvalue()
