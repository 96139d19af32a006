"""Review assignment of a project track: the database side of app.projects.assignment.

The pure `assign` decides; this module feeds it what is stored (the judges of the challenge,
the reviewable teams, declared conflicts, the judges' affiliations, the assignments made so
far) and stores what it adds, with an audit entry for every change. Everything is keyed by
(challenge, team): a team has one project per challenge, and the jury's `Review` uses the
same key, so "assigned" and "reviewed" are compared pair by pair.

Conflicts are judged on: membership of the team, the conflicts a judge declared, and the
judge's affiliation against the members' affiliations. Accounts carry no affiliation, so the
members' affiliations are empty for now: only membership and declarations can conflict.

Judges who are in a team of the challenge are left out altogether: the jury refuses them
every judge's page of the challenge, so giving them projects would only leave holes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.i18n.speech import say
from app.jury import service as jury
from app.jury.models import Review
from app.jury.ranking import JudgingSpec
from app.projects import service as projects
from app.projects.assignment import Assignment, Judge, ProjectEntry, adjustment_refusal, assign
from app.projects.models import Project
from app.projects.review_gate import project_track, reviews_per_project
from app.projects.review_models import (
    AFFILIATION_MAX,
    REASON_MAX,
    AssignmentSource,
    ConflictDeclaration,
    JudgeProfile,
    ReviewAssignment,
)
from app.teams.models import Membership, Team

__all__ = [
    "JudgeLoad",
    "TeamCoverage",
    "add_assignment",
    "affiliation_of",
    "assigned_teams",
    "assignments_of",
    "completeness",
    "declare_conflict",
    "declared_conflicts",
    "dry_run",
    "eligible_judges",
    "not_a_track",
    "project_track",
    "remove_assignment",
    "reviewable_teams",
    "reviews_per_project",
    "run_assignment",
    "set_affiliation",
    "withdraw_conflict",
]


def not_a_track() -> Refusal:
    return Refusal(
        Kind.not_found,
        _(
            "This challenge has no project track: its judges review the finalists of its "
            "leaderboard."
        ),
        code="not_a_project_track",
    )


def reviewable_teams(session: Session, challenge: Challenge) -> list[Team]:
    """The teams with a project to judge (a version saved before the project phase ended),
    in id order: a team that never handed one in gets no reviewer's time."""
    assert challenge.id is not None
    teams = session.exec(
        select(Team)
        .join(Project, col(Project.team_id) == col(Team.id))
        .where(Team.challenge_id == challenge.id, Project.challenge_id == challenge.id)
        .order_by(col(Team.id))
    )
    return [
        team
        for team in teams
        if (found := projects.project_of(session, challenge.id, team.id or 0)) is not None
        and projects.judged_version(session, found) is not None
    ]


def eligible_judges(session: Session, challenge: Challenge) -> list[User]:
    """The challenge's judges (app.jury), less those who compete in it."""
    assert challenge.id is not None
    competing = set(
        session.exec(
            select(Membership.user_id).where(Membership.challenge_id == challenge.id)
        ).all()
    )
    return [u for u in jury.judges_of(session, challenge.id) if u.id not in competing]


def assignments_of(session: Session, challenge_id: int) -> list[ReviewAssignment]:
    return list(
        session.exec(
            select(ReviewAssignment)
            .where(ReviewAssignment.challenge_id == challenge_id)
            .order_by(col(ReviewAssignment.team_id), col(ReviewAssignment.judge_id))
        )
    )


def assigned_teams(session: Session, challenge_id: int, judge_id: int) -> list[Team]:
    """The teams whose project this judge reviews, by name: their own list, nobody else's."""
    return list(
        session.exec(
            select(Team)
            .join(ReviewAssignment, col(ReviewAssignment.team_id) == col(Team.id))
            .where(
                ReviewAssignment.challenge_id == challenge_id,
                ReviewAssignment.judge_id == judge_id,
            )
            .order_by(col(Team.name), col(Team.id))
        )
    )


def declared_conflicts(
    session: Session, challenge_id: int, judge_id: int | None = None
) -> list[ConflictDeclaration]:
    stmt = select(ConflictDeclaration).where(ConflictDeclaration.challenge_id == challenge_id)
    if judge_id is not None:
        stmt = stmt.where(ConflictDeclaration.judge_id == judge_id)
    return list(session.exec(stmt.order_by(col(ConflictDeclaration.id))))


def affiliation_of(session: Session, challenge_id: int, judge_id: int) -> str:
    profile = _profile(session, challenge_id, judge_id)
    return profile.affiliation if profile is not None else ""


def _profile(session: Session, challenge_id: int, judge_id: int) -> JudgeProfile | None:
    return session.exec(
        select(JudgeProfile).where(
            JudgeProfile.challenge_id == challenge_id, JudgeProfile.judge_id == judge_id
        )
    ).first()


# --- what the pure algorithm is given -------------------------------------------------------


def _judges(session: Session, challenge: Challenge, users: Iterable[User]) -> list[Judge]:
    assert challenge.id is not None
    conflicts: dict[int, set[int]] = {}
    for d in declared_conflicts(session, challenge.id):
        conflicts.setdefault(d.judge_id, set()).add(d.team_id)
    affiliations = {
        p.judge_id: p.affiliation
        for p in session.exec(select(JudgeProfile).where(JudgeProfile.challenge_id == challenge.id))
    }
    judges = []
    for user in users:
        assert user.id is not None
        judges.append(
            Judge(
                judge_id=user.id,
                affiliation=affiliations.get(user.id) or None,
                conflicts=frozenset(conflicts.get(user.id, ())),
                name=user.name,
            )
        )
    return judges


def _entries(session: Session, challenge: Challenge, teams: Iterable[Team]) -> list[ProjectEntry]:
    """One entry per team, numbered by team id (the project of a team is the team's)."""
    assert challenge.id is not None
    members: dict[int, set[int]] = {}
    for user_id, team_id in session.exec(
        select(Membership.user_id, Membership.team_id).where(
            Membership.challenge_id == challenge.id
        )
    ).all():
        members.setdefault(team_id, set()).add(user_id)
    entries = []
    for team in teams:
        assert team.id is not None
        entries.append(
            ProjectEntry(
                project_id=team.id,
                team_id=team.id,
                members=frozenset(members.get(team.id, ())),
                affiliations=frozenset(),  # accounts have no affiliation yet (module docstring)
                team_name=team.name,
            )
        )
    return entries


def _existing(session: Session, challenge_id: int) -> dict[int, list[int]]:
    existing: dict[int, list[int]] = {}
    for a in assignments_of(session, challenge_id):
        existing.setdefault(a.team_id, []).append(a.judge_id)
    return existing


def dry_run(session: Session, challenge: Challenge) -> Assignment:
    """What pressing "assign reviews" would do now, nothing stored: the page shows its
    shortfalls (teams too few judges may review, and why) before and after a run."""
    assert challenge.id is not None
    return assign(
        _entries(session, challenge, reviewable_teams(session, challenge)),
        _judges(session, challenge, eligible_judges(session, challenge)),
        reviews_per_project(challenge.config),
        _existing(session, challenge.id),
    )


def run_assignment(session: Session, actor: User, challenge: Challenge) -> Refusal | Assignment:
    """Complete the assignment: kept pairs stay, new ones are added so every team gets k.

    Pairs the rules now forbid (a conflict declared since, a judge who left the jury, a team
    no longer reviewable) are removed, each with its own audit entry saying why.
    """
    assert challenge.id is not None
    if not project_track(challenge.config):
        return not_a_track()
    if not eligible_judges(session, challenge):
        return Refusal(
            Kind.conflict,
            _("This challenge has no judges yet: add them on the judges' page first."),
            code="no_judges",
        )
    result = dry_run(session, challenge)
    rows = {(a.team_id, a.judge_id): a for a in assignments_of(session, challenge.id)}
    names = {t.id: t.name for t in reviewable_teams(session, challenge)}
    for dropped in result.dropped:
        row = rows.get((dropped.project_id, dropped.judge_id))
        if row is not None:
            session.delete(row)
            record(
                session,
                actor,
                challenge.id,
                "project_review.drop",
                names.get(dropped.project_id, ""),
                {
                    "team_id": dropped.project_id,
                    "judge_id": dropped.judge_id,
                    "judge": judge.name if (judge := session.get(User, dropped.judge_id)) else "",
                    "reason": dropped.reason.value,
                },
            )
    for team_id, judge_id in result.added:
        session.add(
            ReviewAssignment(
                challenge_id=challenge.id,
                team_id=team_id,
                judge_id=judge_id,
                source=AssignmentSource.auto,
            )
        )
    record(
        session,
        actor,
        challenge.id,
        "project_review.run",
        challenge.slug,
        {
            "k": result.k,
            "added": len(result.added),
            "dropped": len(result.dropped),
            "shortfalls": len(result.shortfalls),
        },
    )
    return result


def _pair(
    session: Session, challenge: Challenge, team_id: int, judge_id: int
) -> Refusal | tuple[Team, User]:
    assert challenge.id is not None
    if not project_track(challenge.config):
        return not_a_track()
    team = session.get(Team, team_id)
    if team is None or team.challenge_id != challenge.id:
        return Refusal(Kind.not_found, _("This challenge has no such team."), code="no_team")
    judge = session.get(User, judge_id)
    if judge is None:
        return Refusal(Kind.not_found, _("There is no such judge."), code="no_judge")
    return team, judge


def add_assignment(
    session: Session, actor: User, challenge: Challenge, team_id: int, judge_id: int
) -> Refusal | ReviewAssignment:
    """An organiser's adjustment: the same conflict rules as the automatic assignment."""
    assert challenge.id is not None
    found = _pair(session, challenge, team_id, judge_id)
    if isinstance(found, Refusal):
        return found
    team, user = found
    if judge_id not in {u.id for u in eligible_judges(session, challenge)}:
        return Refusal(
            Kind.invalid,
            _("{judge} is not a judge of this challenge (or competes in it).").format(
                judge=user.name
            ),
            code="not_a_judge",
            field="judge_id",
        )
    if team.id not in {t.id for t in reviewable_teams(session, challenge)}:
        return Refusal(
            Kind.invalid,
            _("The project of team {team} is not under review.").format(team=team.name),
            code="not_reviewable",
            field="team_id",
        )
    entry = _entries(session, challenge, [team])[0]
    judge = _judges(session, challenge, [user])[0]
    assigned = _existing(session, challenge.id).get(team_id, [])
    refused = adjustment_refusal(entry, judge, assigned)
    if refused is not None:
        return Refusal(refused.kind, say(refused.message), code=refused.code)
    row = ReviewAssignment(
        challenge_id=challenge.id,
        team_id=team_id,
        judge_id=judge_id,
        source=AssignmentSource.manual,
    )
    session.add(row)
    record(
        session,
        actor,
        challenge.id,
        "project_review.add",
        team.name,
        {"team_id": team_id, "judge_id": judge_id, "judge": user.name},
    )
    return row


def remove_assignment(
    session: Session, actor: User, challenge: Challenge, team_id: int, judge_id: int
) -> Refusal | None:
    """Refused once the judge saved their review: it counts, so its assignment stays."""
    assert challenge.id is not None
    found = _pair(session, challenge, team_id, judge_id)
    if isinstance(found, Refusal):
        return found
    team, user = found
    row = session.exec(
        select(ReviewAssignment).where(
            ReviewAssignment.challenge_id == challenge.id,
            ReviewAssignment.team_id == team_id,
            ReviewAssignment.judge_id == judge_id,
        )
    ).first()
    if row is None:
        return Refusal(
            Kind.not_found,
            _("{judge} does not review the project of team {team}.").format(
                judge=user.name, team=team.name
            ),
            code="not_assigned",
        )
    if jury.review_of(session, challenge.id, team_id, judge_id) is not None:
        return Refusal(
            Kind.conflict,
            _(
                "{judge} already reviewed the project of team {team}: the review counts, so "
                "the assignment stays."
            ).format(judge=user.name, team=team.name),
            code="already_reviewed",
        )
    session.delete(row)
    record(
        session,
        actor,
        challenge.id,
        "project_review.remove",
        team.name,
        {"team_id": team_id, "judge_id": judge_id, "judge": user.name},
    )
    return None


# --- what judges declare --------------------------------------------------------------------


def set_affiliation(
    session: Session, judge: User, challenge: Challenge, affiliation: str
) -> Refusal | JudgeProfile:
    assert challenge.id is not None and judge.id is not None
    if not project_track(challenge.config):
        return not_a_track()
    text = " ".join(affiliation.split())
    if len(text) > AFFILIATION_MAX:
        return Refusal(
            Kind.invalid,
            _("Keep the affiliation under {count} characters.").format(count=AFFILIATION_MAX),
            field="affiliation",
        )
    profile = _profile(session, challenge.id, judge.id) or JudgeProfile(
        challenge_id=challenge.id, judge_id=judge.id
    )
    profile.affiliation = text
    session.add(profile)
    record(session, judge, challenge.id, "judge.affiliation", text, {"affiliation": text})
    return profile


def declare_conflict(
    session: Session, judge: User, challenge: Challenge, team_id: int, reason: str
) -> Refusal | ConflictDeclaration:
    """Also takes the team's project off the judge's list if it was on it, unless the judge
    already reviewed it (then the organisers must see it: the declaration is refused)."""
    assert challenge.id is not None and judge.id is not None
    if not project_track(challenge.config):
        return not_a_track()
    team = session.get(Team, team_id)
    if team is None or team.challenge_id != challenge.id:
        return Refusal(Kind.not_found, _("This challenge has no such team."), code="no_team")
    text = reason.strip()
    if len(text) > REASON_MAX:
        return Refusal(
            Kind.invalid,
            _("Keep the reason under {count} characters.").format(count=REASON_MAX),
            field="reason",
        )
    if jury.review_of(session, challenge.id, team_id, judge.id) is not None:
        return Refusal(
            Kind.conflict,
            _(
                "You already reviewed the project of team {team}: tell the organisers about "
                "the conflict, they decide what happens to your review."
            ).format(team=team.name),
            code="already_reviewed",
        )
    found = session.exec(
        select(ConflictDeclaration).where(
            ConflictDeclaration.challenge_id == challenge.id,
            ConflictDeclaration.judge_id == judge.id,
            ConflictDeclaration.team_id == team_id,
        )
    ).first()
    declaration = found or ConflictDeclaration(
        challenge_id=challenge.id, judge_id=judge.id, team_id=team_id
    )
    declaration.reason = text
    session.add(declaration)
    assigned = session.exec(
        select(ReviewAssignment).where(
            ReviewAssignment.challenge_id == challenge.id,
            ReviewAssignment.judge_id == judge.id,
            ReviewAssignment.team_id == team_id,
        )
    ).first()
    if assigned is not None:
        session.delete(assigned)
    record(
        session,
        judge,
        challenge.id,
        "judge.conflict_declare",
        team.name,
        {"team_id": team_id, "reason": text, "unassigned": assigned is not None},
    )
    return declaration


def withdraw_conflict(
    session: Session, judge: User, challenge: Challenge, team_id: int
) -> Refusal | None:
    """Withdrawing a declaration that is not there is not an error: the end state is asked."""
    assert challenge.id is not None and judge.id is not None
    if not project_track(challenge.config):
        return not_a_track()
    found = session.exec(
        select(ConflictDeclaration).where(
            ConflictDeclaration.challenge_id == challenge.id,
            ConflictDeclaration.judge_id == judge.id,
            ConflictDeclaration.team_id == team_id,
        )
    ).first()
    if found is None:
        return None
    team = session.get(Team, team_id)
    session.delete(found)
    record(
        session,
        judge,
        challenge.id,
        "judge.conflict_withdraw",
        team.name if team is not None else "",
        {"team_id": team_id},
    )
    return None


# --- completeness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeLoad:
    judge: User
    assigned: int
    reviewed: int  # assigned projects rated on every criterion of the rubric as it is now

    @property
    def percent(self) -> int:
        return round(100 * self.reviewed / self.assigned) if self.assigned else 0


@dataclass(frozen=True)
class TeamCoverage:
    team: Team
    assigned: int
    reviewed: int
    k: int


def completeness(
    session: Session, challenge: Challenge
) -> tuple[list[JudgeLoad], list[TeamCoverage]]:
    """Per judge and per team, the assigned pairs and those with a complete review.

    A review counts once it rates every criterion of the current rubric, as the jury's
    progress counts it, so a criterion added later shows older reviews as unfinished.
    """
    assert challenge.id is not None
    spec = JudgingSpec.from_config(challenge.config)
    keys = {c.key for c in spec.criteria} if spec is not None else set()
    complete = {
        (r.team_id, r.judge_id)
        for r in session.exec(select(Review).where(Review.challenge_id == challenge.id))
        if keys <= set(r.ratings)
    }
    pairs = [(a.team_id, a.judge_id) for a in assignments_of(session, challenge.id)]
    judges = {u.id: u for u in eligible_judges(session, challenge)}
    for _team_id, judge_id in pairs:  # a judge who left keeps their row while assigned
        if judge_id not in judges:
            user = session.get(User, judge_id)
            if user is not None:
                judges[judge_id] = user
    loads = [
        JudgeLoad(
            judge=user,
            assigned=sum(1 for _t, j in pairs if j == judge_id),
            reviewed=sum(1 for p in pairs if p[1] == judge_id and p in complete),
        )
        for judge_id, user in judges.items()
    ]
    loads.sort(key=lambda x: (x.judge.name, x.judge.id or 0))
    k = reviews_per_project(challenge.config)
    teams = {t.id: t for t in reviewable_teams(session, challenge)}
    for team_id, _judge_id in pairs:
        if team_id not in teams:
            team = session.get(Team, team_id)
            if team is not None:
                teams[team_id] = team
    coverage = [
        TeamCoverage(
            team=team,
            assigned=sum(1 for t, _j in pairs if t == team_id),
            reviewed=sum(1 for p in pairs if p[0] == team_id and p in complete),
            k=k,
        )
        for team_id, team in teams.items()
    ]
    coverage.sort(key=lambda x: (x.team.name, x.team.id or 0))
    return loads, coverage
