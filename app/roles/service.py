"""Who manages and who judges what: one place answers it for every page, API route and export.

Site roles say what a person may start (an organiser may upload a new challenge, an admin may
do everything); grants say what they run. An event's organisers manage the event and every
challenge in it; a challenge's owners manage that challenge only; judges see what they were
given (an event's judges every challenge of it with a rubric, or one challenge). A challenge
nobody was given to, in an event nobody was given to (a site older than events, a bundle
loaded from the command line without `owners`), is managed by the site's organisers, as
before scoped roles existed, so no challenge is ever left without someone to run it.

Answers are per request (`scope_of` reads the person's grants once); nothing is cached across
requests, so a revoked grant takes effect on the next request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.accounts.service import normalise_email, role_at_least, user_by_email
from app.audit.service import record
from app.challenges.models import Challenge
from app.core.refusal import Kind, Refusal
from app.events.models import Event
from app.jury.models import JudgeAssignment
from app.roles.models import RoleGrant, Scoped, Source

MANAGES = (Scoped.organiser, Scoped.owner)


def held_by(user: User) -> ColumnElement[bool]:
    """The grants that are `user`'s: bound to the account, or to its address once verified."""
    bound = col(RoleGrant.user_id) == user.id
    if not user.email_verified:
        return bound
    by_address = and_(col(RoleGrant.user_id).is_(None), col(RoleGrant.email) == user.email)
    return or_(bound, by_address)


@dataclass(frozen=True)
class Scope:
    """What one person runs, read once per request."""

    admin: bool = False
    site_organiser: bool = False  # may upload challenges; manages the unclaimed ones
    site_judge: bool = False
    events: frozenset[int] = frozenset()  # organised
    challenges: frozenset[int] = frozenset()  # owned
    judged_events: frozenset[int] = frozenset()
    judged_challenges: frozenset[int] = frozenset()  # by grant or assignment
    grants: tuple[RoleGrant, ...] = field(default=())

    @property
    def organises_something(self) -> bool:
        return self.admin or self.site_organiser or bool(self.events or self.challenges)

    @property
    def judges_something(self) -> bool:
        return self.admin or self.site_judge or bool(self.judged_events or self.judged_challenges)


NOBODY = Scope()


def scope_of(session: Session, user: User | None) -> Scope:
    if user is None or user.id is None or not user.is_active:
        return NOBODY
    grants = tuple(session.exec(select(RoleGrant).where(held_by(user))))
    assigned = session.exec(
        select(JudgeAssignment.challenge_id).where(JudgeAssignment.user_id == user.id)
    ).all()

    def ids(role: Scoped, attr: str) -> frozenset[int]:
        return frozenset(
            value for g in grants if g.role == role and (value := getattr(g, attr)) is not None
        )

    return Scope(
        admin=user.role == Role.admin,
        site_organiser=role_at_least(user.role, Role.organiser),
        site_judge=role_at_least(user.role, Role.judge),
        events=ids(Scoped.organiser, "event_id"),
        challenges=ids(Scoped.owner, "challenge_id"),
        judged_events=ids(Scoped.judge, "event_id"),
        judged_challenges=ids(Scoped.judge, "challenge_id") | frozenset(assigned),
        grants=grants,
    )


def _claims(challenge_id: int, event_id: int | None) -> ColumnElement[bool]:
    owned = and_(col(RoleGrant.role) == Scoped.owner, col(RoleGrant.challenge_id) == challenge_id)
    if event_id is None:
        return owned
    organised = and_(col(RoleGrant.role) == Scoped.organiser, col(RoleGrant.event_id) == event_id)
    return or_(owned, organised)


def claimed(session: Session, challenge: Challenge) -> bool:
    """Someone was given this challenge (or its event) to run."""
    assert challenge.id is not None
    stmt = select(RoleGrant.id).where(_claims(challenge.id, challenge.event_id)).limit(1)
    return session.exec(stmt).first() is not None


def event_claimed(session: Session, event_id: int) -> bool:
    stmt = select(RoleGrant.id).where(
        RoleGrant.role == Scoped.organiser, RoleGrant.event_id == event_id
    )
    return session.exec(stmt.limit(1)).first() is not None


def manages(session: Session, scope: Scope, challenge: Challenge) -> bool:
    """May run this challenge: its pages, data, phases, teams, rescoring, exports, audit log."""
    if scope.admin:
        return True
    if challenge.id in scope.challenges:
        return True
    if challenge.event_id is not None and challenge.event_id in scope.events:
        return True
    return scope.site_organiser and not claimed(session, challenge)


def user_manages(session: Session, user: User | None, challenge: Challenge) -> bool:
    """`manages` for one challenge without reading the whole scope (one query, often none)."""
    if user is None or user.id is None or not user.is_active:
        return False
    if user.role == Role.admin:
        return True
    assert challenge.id is not None
    stmt = select(RoleGrant.id).where(held_by(user), _claims(challenge.id, challenge.event_id))
    if session.exec(stmt.limit(1)).first() is not None:
        return True
    return role_at_least(user.role, Role.organiser) and not claimed(session, challenge)


def manages_event(session: Session, scope: Scope, event: Event) -> bool:
    if scope.admin:
        return True
    assert event.id is not None
    if event.id in scope.events:
        return True
    return scope.site_organiser and not event_claimed(session, event.id)


def managed_ids(session: Session, scope: Scope) -> set[int] | None:
    """The ids of the challenges `scope` manages; None for an admin (all of them)."""
    if scope.admin:
        return None
    conditions: list[ColumnElement[bool]] = [
        col(Challenge.id).in_(scope.challenges),
        col(Challenge.event_id).in_(scope.events),
    ]
    if scope.site_organiser:
        owned = select(RoleGrant.challenge_id).where(
            RoleGrant.role == Scoped.owner, col(RoleGrant.challenge_id).is_not(None)
        )
        organised = select(RoleGrant.event_id).where(
            RoleGrant.role == Scoped.organiser, col(RoleGrant.event_id).is_not(None)
        )
        conditions.append(
            and_(
                col(Challenge.id).not_in(owned),
                or_(col(Challenge.event_id).is_(None), col(Challenge.event_id).not_in(organised)),
            )
        )
    found = session.exec(select(Challenge.id).where(or_(false(), *conditions))).all()
    return {i for i in found if i is not None}


def judges(scope: Scope, challenge: Challenge) -> bool:
    """Was given this challenge to judge (by an organiser, or as a judge of its event)."""
    if challenge.id in scope.judged_challenges:
        return True
    return challenge.event_id is not None and challenge.event_id in scope.judged_events


def judges_by_grant(session: Session, challenge: Challenge) -> list[User]:
    """The accounts holding a judge grant over this challenge or its event."""
    over = col(RoleGrant.challenge_id) == challenge.id
    if challenge.event_id is not None:
        over = or_(over, col(RoleGrant.event_id) == challenge.event_id)
    grants = session.exec(select(RoleGrant).where(RoleGrant.role == Scoped.judge, over)).all()
    users: list[User] = []
    for grant in grants:
        if grant.user_id is not None:
            user = session.get(User, grant.user_id)
        else:
            user = user_by_email(session, grant.email)
            user = user if user is not None and user.email_verified else None
        if user is not None and user.is_active:
            users.append(user)
    return users


def judged_ids(session: Session, scope: Scope) -> set[int]:
    found = session.exec(
        select(Challenge.id).where(
            or_(
                col(Challenge.id).in_(scope.judged_challenges),
                col(Challenge.event_id).in_(scope.judged_events),
            )
        )
    ).all()
    return {i for i in found if i is not None}


def sees_everything(session: Session, scope: Scope, challenge: Challenge) -> bool:
    """Staff of this challenge (its managers and judges): the live board of a frozen one."""
    return manages(session, scope, challenge) or judges(scope, challenge)


# --- giving and taking ------------------------------------------------------------------------


def _bindable(session: Session, email: str) -> User | None:
    """The account a file's address is bound to now: only one whose address is verified."""
    user = user_by_email(session, email)
    return user if user is not None and user.email_verified else None


def sync_listed(
    session: Session,
    *,
    source: Source,
    role: Scoped,
    emails: Iterable[str],
    event_id: int | None = None,
    challenge_id: int | None = None,
) -> None:
    """Make a file's list of people the grants of that file: added, kept, or taken back.

    Grants given on the web are left alone: loading event.yaml again does not undo an
    invitation an admin made.
    """
    wanted = {normalise_email(e) for e in emails}
    current = list(
        session.exec(
            select(RoleGrant).where(
                RoleGrant.source == source,
                RoleGrant.role == role,
                RoleGrant.event_id == event_id,
                RoleGrant.challenge_id == challenge_id,
            )
        )
    )
    have = {g.email for g in current}
    for grant in current:
        if grant.email not in wanted:
            session.delete(grant)
    for email in sorted(wanted - have):
        user = _bindable(session, email)
        session.add(
            RoleGrant(
                email=email,
                user_id=user.id if user is not None else None,
                role=role,
                event_id=event_id,
                challenge_id=challenge_id,
                source=source,
            )
        )
    session.flush()


def give(
    session: Session,
    actor: User | None,
    email: str,
    role: Scoped,
    *,
    event: Event | None = None,
    challenge: Challenge | None = None,
    source: Source = Source.web,
) -> tuple[RoleGrant, bool] | Refusal:
    """Give `role` over the event or the challenge to whoever holds `email` (or will); the
    grant, and whether it is new (giving a role someone has already changes nothing)."""
    address = normalise_email(email.strip())
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        return Refusal(Kind.invalid, f"{email.strip()!r} is not an e-mail address.")
    if (event is None) == (challenge is None):
        return Refusal(Kind.invalid, "A role is given over one event or one challenge.")
    if role == Scoped.organiser and event is None:
        return Refusal(Kind.invalid, "Organisers run an event; give a challenge an owner instead.")
    if role == Scoped.owner and challenge is None:
        return Refusal(Kind.invalid, "Owners run a challenge; give an event an organiser instead.")
    event_id = event.id if event is not None else None
    challenge_id = challenge.id if challenge is not None else None
    existing = session.exec(
        select(RoleGrant).where(
            RoleGrant.email == address,
            RoleGrant.role == role,
            RoleGrant.event_id == event_id,
            RoleGrant.challenge_id == challenge_id,
        )
    ).first()
    if existing is not None:
        return existing, False
    user = user_by_email(session, address)
    grant = RoleGrant(
        email=address,
        user_id=user.id if user is not None else None,
        role=role,
        event_id=event_id,
        challenge_id=challenge_id,
        source=source,
        granted_by=actor.id if actor is not None else None,
    )
    session.add(grant)
    session.flush()
    record(
        session,
        actor,
        challenge_id,
        "role.give",
        address,
        {"role": role.value, "event": event.slug if event else None, "source": source.value},
    )
    return grant, True


def revoke(session: Session, actor: User, grant: RoleGrant) -> None:
    event = session.get(Event, grant.event_id) if grant.event_id is not None else None
    record(
        session,
        actor,
        grant.challenge_id,
        "role.revoke",
        grant.email,
        {"role": grant.role, "event": event.slug if event else None, "source": grant.source},
    )
    session.delete(grant)
    session.flush()


def grants_over(
    session: Session, *, event_id: int | None = None, challenge_id: int | None = None
) -> list[tuple[RoleGrant, User | None]]:
    """The people given a role over the event or the challenge, each with their account."""
    stmt = (
        select(RoleGrant, User)
        .join(User, col(User.id) == col(RoleGrant.user_id), isouter=True)
        .where(RoleGrant.event_id == event_id, RoleGrant.challenge_id == challenge_id)
        .order_by(col(RoleGrant.role), col(RoleGrant.email))
    )
    return [(g, u) for g, u in session.exec(stmt).all()]


def all_grants(session: Session) -> list[tuple[RoleGrant, User | None]]:
    stmt = (
        select(RoleGrant, User)
        .join(User, col(User.id) == col(RoleGrant.user_id), isouter=True)
        .order_by(col(RoleGrant.email), col(RoleGrant.id))
    )
    return [(g, u) for g, u in session.exec(stmt).all()]
