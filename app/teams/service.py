"""Forming teams: create, join by code or signed link, leave, hand over captaincy.

Rules: a user is in at most one team per challenge (the database enforces it
too); team sizes come from the bundle; a captain who leaves must first hand
over captaincy unless they are the last member, in which case the team ends
if it has no submissions.

Every action on an existing team takes the team's lock first (`lock_team`) and
decides on what it reads after it, so two actions on one team end as if one
ran after the other: a team never grows past its size, never keeps a captain
who left, never gains a member after it was deleted or through a code that was
replaced. Creating a team locks nothing (there is no team yet): the database's
unique constraints decide, and a refusal says which one did.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.challenges.models import Challenge
from app.core.refusal import Kind, Refusal
from app.i18n.speech import gettext as _
from app.projects.models import Project
from app.submissions.models import Submission
from app.teams.locking import lock_team
from app.teams.models import Membership, Team

NAME_RE = re.compile(r"^[\w][\w .'-]{1,78}[\w.]$", re.UNICODE)
INVITE_MAX_AGE_S = 7 * 24 * 3600


# Functions, not constants: each refusal is said in the language of the request asking.
def already_in_team() -> Refusal:
    return Refusal(
        Kind.conflict,
        _("You are already in a team for this challenge; leave it first."),
        "already_in_team",
    )


def bad_code() -> Refusal:
    return Refusal(
        Kind.not_found,
        _("No team of this challenge has that invitation code; check it."),
        "bad_code",
    )


def stale_link() -> Refusal:
    return Refusal(
        Kind.not_found,
        _("This invitation link is no longer valid; ask the captain for a new one."),
        "bad_link",
    )


def not_a_member() -> Refusal:
    return Refusal(Kind.conflict, _("You are not a member of this team."), "not_member")


def team_limits(challenge: Challenge) -> tuple[int, int]:
    teams: dict[str, Any] = challenge.config.get("teams", {})
    return int(teams.get("min_size", 1)), int(teams.get("max_size", 5))


def members(session: Session, team_id: int) -> list[Membership]:
    stmt = (
        select(Membership).where(Membership.team_id == team_id).order_by(col(Membership.joined_at))
    )
    return list(session.exec(stmt))


def member_count(session: Session, team_id: int) -> int:
    return int(session.exec(select(func.count()).where(Membership.team_id == team_id)).one())


def team_of(session: Session, challenge_id: int, user_id: int) -> Team | None:
    stmt = (
        select(Team)
        .join(Membership, col(Membership.team_id) == col(Team.id))
        .where(Membership.challenge_id == challenge_id, Membership.user_id == user_id)
    )
    return session.exec(stmt).first()


def create_team(session: Session, challenge: Challenge, user_id: int, name: str) -> Team | Refusal:
    assert challenge.id is not None
    name = " ".join(name.split())
    if not NAME_RE.match(name):
        return Refusal(
            Kind.invalid,
            _("A team name has 3 to 80 letters, digits, spaces, dots, apostrophes or dashes."),
            "bad_name",
        )
    if team_of(session, challenge.id, user_id) is not None:
        return already_in_team()
    approval = bool(challenge.config.get("teams", {}).get("approval", False))
    team = Team(
        challenge_id=challenge.id,
        name=name,
        captain_id=user_id,
        invite_code=secrets.token_urlsafe(9),
        approved=not approval,
    )
    try:
        with session.begin_nested():
            session.add(team)
            session.flush()
            assert team.id is not None
            session.add(Membership(team_id=team.id, user_id=user_id, challenge_id=challenge.id))
            session.flush()
    except IntegrityError:
        # Two constraints can refuse: the name, or the person joining (or creating) another
        # team at the same moment; that one has committed by now, so it can be seen.
        if team_of(session, challenge.id, user_id) is not None:
            return already_in_team()
        return Refusal(
            Kind.conflict,
            _("A team called {name} already exists in this challenge.").format(name=repr(name)),
            "name_taken",
        )
    return team


def join_by_code(session: Session, challenge: Challenge, user_id: int, code: str) -> Team | Refusal:
    assert challenge.id is not None
    team = session.exec(
        select(Team).where(Team.challenge_id == challenge.id, Team.invite_code == code.strip())
    ).first()
    if team is None:
        return bad_code()
    return _join(session, challenge, team, user_id, team.invite_code, bad_code())


def _join(
    session: Session,
    challenge: Challenge,
    team: Team,
    user_id: int,
    code: str,
    stale: Refusal,
) -> Team | Refusal:
    """Join `team` if it still exists, `code` is still its code and it has room (`stale` if not).

    The lock comes first: the team may have been deleted, given a new code or filled up
    by other requests since it was looked up.
    """
    assert challenge.id is not None and team.id is not None
    if not lock_team(session, team.id):
        return stale
    session.refresh(team)
    if team.invite_code != code:
        return stale
    if team_of(session, challenge.id, user_id) is not None:
        return already_in_team()
    max_size = team_limits(challenge)[1]
    if member_count(session, team.id) >= max_size:
        return Refusal(
            Kind.conflict,
            _("The team is full: teams have at most {max_size} members.").format(max_size=max_size),
            "team_full",
        )
    try:
        with session.begin_nested():
            session.add(Membership(team_id=team.id, user_id=user_id, challenge_id=challenge.id))
            session.flush()
    except IntegrityError:  # joined another team (or created one) at the same moment
        return already_in_team()
    return team


def invite_link_token(secret_key: str, team: Team) -> str:
    """A signed token naming the team and its current code; it expires after a week.

    Regenerating the team's code invalidates every link given out before.
    """
    serializer = URLSafeTimedSerializer(secret_key, salt="marea-team-invite")
    return serializer.dumps({"team": team.id, "code": team.invite_code})


def join_by_link(
    session: Session,
    challenge: Challenge,
    user_id: int,
    token: str,
    secret_key: str,
    max_age_s: int = INVITE_MAX_AGE_S,
) -> Team | Refusal:
    serializer = URLSafeTimedSerializer(secret_key, salt="marea-team-invite")
    try:
        data = serializer.loads(token, max_age=max_age_s)
    except SignatureExpired:
        return Refusal(
            Kind.gone,
            _("This invitation link has expired; ask the captain for a new one."),
            "link_expired",
        )
    except BadSignature:
        return Refusal(
            Kind.not_found,
            _("This invitation link is not valid; ask the captain for a new one."),
            "bad_link",
        )
    team = session.get(Team, data.get("team"))
    code = data.get("code")
    if team is None or team.challenge_id != challenge.id or team.invite_code != code:
        return stale_link()
    return _join(session, challenge, team, user_id, str(code), stale_link())


def regenerate_code(session: Session, team: Team) -> str:
    """A new code for `team`; the caller has checked (under the lock) who asks."""
    team.invite_code = secrets.token_urlsafe(9)
    session.add(team)
    return team.invite_code


def new_code(session: Session, team: Team, user_id: int) -> Team | Refusal:
    """The captain's new invitation code; every code and link given out before stops working."""
    assert team.id is not None
    if not lock_team(session, team.id):
        return not_a_member()
    session.refresh(team)
    if team.captain_id != user_id:
        return Refusal(
            Kind.forbidden, _("Only the captain can make a new invitation code."), "not_captain"
        )
    regenerate_code(session, team)
    return team


def hand_over(session: Session, team: Team, from_user: int, to_user: int) -> Team | Refusal:
    assert team.id is not None
    if not lock_team(session, team.id):
        return not_a_member()
    session.refresh(team)
    if team.captain_id != from_user:
        return Refusal(
            Kind.forbidden, _("Only the captain can hand over captaincy."), "not_captain"
        )
    if to_user not in {m.user_id for m in members(session, team.id)}:
        return Refusal(
            Kind.conflict, _("The new captain must be a member of the team."), "not_member"
        )
    team.captain_id = to_user
    session.add(team)
    return team


def leave(session: Session, team: Team, user_id: int) -> Refusal | None:
    """Leave `team`; the last member's leaving deletes it (a submission, locked too, keeps it)."""
    assert team.id is not None
    if not lock_team(session, team.id):
        return not_a_member()
    session.refresh(team)
    current = members(session, team.id)
    mine = next((m for m in current if m.user_id == user_id), None)
    if mine is None:
        return not_a_member()
    if team.captain_id == user_id and len(current) > 1:
        return Refusal(
            Kind.conflict,
            _("Hand over captaincy to another member before leaving."),
            "captain_must_hand_over",
        )
    if len(current) == 1:
        has_submissions = session.exec(
            select(func.count()).where(Submission.team_id == team.id)
        ).one()
        has_project = session.exec(select(func.count()).where(Project.team_id == team.id)).one()
        if has_project:
            return Refusal(
                Kind.conflict,
                _(
                    "You are the last member of a team that handed in a project; its versions "
                    "must be kept, so the team cannot be left empty. Ask the organisers if you "
                    "need to withdraw."
                ),
                "last_member",
            )
        if has_submissions:
            return Refusal(
                Kind.conflict,
                _(
                    "You are the last member of a team with submissions; its results must be "
                    "kept, so the team cannot be left empty. Ask the organisers if you need to "
                    "withdraw."
                ),
                "last_member",
            )
        session.delete(mine)
        session.flush()
        session.delete(team)
        return None
    session.delete(mine)
    return None
