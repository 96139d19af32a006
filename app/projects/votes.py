"""People's choice: casting, withdrawing, voiding and counting votes, and the reveal.

The rules live here, for the pages and any later API alike: a signed-in account with a
verified address votes, inside the bundle's window (`project.people_choice`), for at most
`max_votes` teams, never its own. Until the organisers reveal them, the counts are read only
by `tally` for the organisers' page: nothing a participant or the public is shown is computed
from other people's votes (`mine` reads the voter's own rows, `votable_teams` the teams), so
no body, header or size can tell anyone how the vote goes. The reveal is recorded once and
audited, and cannot be undone: what the public read cannot be unread.

The fraud signals are app/projects/vote_flags.py's, on the stored rows: a flag is a question
for an organiser, never a verdict, and a void carries its reason into the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.events.models import Event
from app.i18n.speech import gettext as _
from app.i18n.speech import speaking
from app.projects.models import Project, ProjectVersion
from app.projects.vote_flags import Flag, VoteRecord, flag_votes
from app.projects.vote_models import ADDRESS_CHARS, REASON_MAX, Vote, VoteReveal
from app.teams.models import Team
from app.teams.service import team_of
from app.text.timefmt import as_utc, format_local

REASON_MIN = 5


@dataclass(frozen=True)
class Window:
    """The bundle's `project.people_choice`: how many votes each person has, and when."""

    max_votes: int
    start: datetime
    end: datetime

    def state(self, now: datetime) -> str:
        """'upcoming', 'open' or 'closed': the end itself is already closed."""
        now = as_utc(now)
        if now < self.start:
            return "upcoming"
        return "open" if now < self.end else "closed"


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def window_of(challenge: Challenge) -> Window | None:
    """The voting window the loaded bundle gives, or None: no people's choice here."""
    project = challenge.config.get("project")
    choice = project.get("people_choice") if isinstance(project, dict) else None
    if not isinstance(choice, dict):
        return None
    start, end = _moment(choice.get("start")), _moment(choice.get("end"))
    votes = choice.get("max_votes", 3)
    if start is None or end is None or not isinstance(votes, int) or votes < 1:
        return None
    return Window(votes, start, end)


def time_zone_for(db: Session, challenge: Challenge) -> str | None:
    """The clock the window is shown in: the event's when the challenge is in one, since its
    people read the event's schedule; else the challenge's own."""
    if challenge.event_id is not None:
        event = db.get(Event, challenge.event_id)
        if event is not None:
            return event.time_zone
    named = challenge.config.get("time_zone")
    return named if isinstance(named, str) else None


def votable_teams(session: Session, challenge: Challenge) -> list[Team]:
    """The teams people may vote for, by name (never by votes: the order must say nothing):
    those that handed in a project and show it in the gallery (a team that keeps its project
    out of the public gallery is not put to a public vote)."""
    assert challenge.id is not None
    with_project = (
        select(Project.team_id)
        .join(ProjectVersion, col(ProjectVersion.project_id) == col(Project.id))
        .where(Project.challenge_id == challenge.id, col(Project.gallery_opt_out).is_(False))
    )
    return list(
        session.exec(
            select(Team)
            .where(Team.challenge_id == challenge.id, col(Team.id).in_(with_project))
            .order_by(col(Team.name), col(Team.id))
        )
    )


def hashed_address(secret: str, challenge_id: int, host: str) -> str:
    """The network address as the flags need it: equal for equal addresses of one challenge,
    unreadable without the site's secret, and unlinkable across challenges (the salt names
    the challenge). Truncated: equality among a few hundred voters needs no more."""
    salt = f"marea-vote:{challenge_id}".encode()
    digest = hmac.new(secret.encode() + b"\x00" + salt, host.encode(), hashlib.sha256)
    return digest.hexdigest()[:ADDRESS_CHARS]


def mine(session: Session, challenge_id: int, user_id: int) -> list[Vote]:
    """The voter's own votes, live and voided: all a voter's page may depend on."""
    return list(
        session.exec(
            select(Vote)
            .where(Vote.challenge_id == challenge_id, Vote.voter_id == user_id)
            .order_by(col(Vote.created_at), col(Vote.id))
        )
    )


def live_count(votes: list[Vote]) -> int:
    return sum(1 for v in votes if v.voided_at is None)


def _when(moment: datetime, zone_name: str | None) -> str:
    return format_local(moment, speaking(), zone_name)


def _window_refusal(window: Window | None, now: datetime, zone_name: str | None) -> Refusal | None:
    if window is None:
        return Refusal(Kind.not_found, _("This challenge has no people's choice vote."), "no_vote")
    state = window.state(now)
    if state == "upcoming":
        return Refusal(
            Kind.conflict,
            _("Voting has not opened yet: it opens on {start}.").format(
                start=_when(window.start, zone_name)
            ),
            "vote_not_open",
            retry_at=window.start,
        )
    if state == "closed":
        return Refusal(
            Kind.conflict,
            _("Voting closed on {end}.").format(end=_when(window.end, zone_name)),
            "vote_closed",
        )
    return None


def _voter_refusal(user: User) -> Refusal | None:
    if not user.email_verified:
        return Refusal(
            Kind.forbidden,
            _(
                "Verify your e-mail address before voting: we sent you a link, and your "
                "account page can send it again."
            ),
            "email_unverified",
        )
    return None


def _lock_voter(session: Session, user_id: int) -> None:
    """Two votes sent at once by one person must not both pass the `max_votes` count: the
    voter's row is locked for the transaction (PostgreSQL; SQLite writes one at a time)."""
    session.exec(select(User.id).where(User.id == user_id).with_for_update()).all()


def _team(session: Session, challenge: Challenge, team_id: int) -> Team | Refusal:
    for team in votable_teams(session, challenge):
        if team.id == team_id:
            return team
    return Refusal(
        Kind.not_found, _("There is no such team to vote for in this challenge."), "no_team"
    )


def cast(
    session: Session,
    challenge: Challenge,
    user: User,
    team_id: int,
    address: str | None,
    now: datetime | None = None,
) -> Vote | Refusal:
    """A vote of `user` for the team, or why not: each rule a sentence the voter can act on."""
    assert challenge.id is not None and user.id is not None
    now = now or utcnow()
    zone_name = time_zone_for(session, challenge)
    window = window_of(challenge)
    refused = _window_refusal(window, now, zone_name) or _voter_refusal(user)
    if refused is not None:
        return refused
    assert window is not None
    team = _team(session, challenge, team_id)
    if isinstance(team, Refusal):
        return team
    own = team_of(session, challenge.id, user.id)
    if own is not None and own.id == team.id:
        return Refusal(
            Kind.forbidden,
            _("You cannot vote for your own team: vote for the work of others."),
            "own_team",
        )
    _lock_voter(session, user.id)
    votes = mine(session, challenge.id, user.id)
    for vote in votes:
        if vote.team_id == team.id:
            if vote.voided_at is not None:
                return Refusal(
                    Kind.conflict,
                    _(
                        "Your vote for this team was voided by the organisers: it cannot be "
                        "cast again."
                    ),
                    "vote_voided",
                )
            return Refusal(
                Kind.conflict, _("You have already voted for this team."), "already_voted"
            )
    if live_count(votes) >= window.max_votes:
        return Refusal(
            Kind.too_many,
            _("You have used all your {n} votes: withdraw one to vote for another team.").format(
                n=window.max_votes
            ),
            "no_votes_left",
        )
    vote = Vote(
        challenge_id=challenge.id,
        team_id=team_id,
        voter_id=user.id,
        created_at=now,
        address=address,
    )
    session.add(vote)
    session.flush()
    return vote


def withdraw(
    session: Session,
    challenge: Challenge,
    user: User,
    team_id: int,
    now: datetime | None = None,
) -> Vote | Refusal:
    """Takes back the voter's vote for the team (deleted: it frees the vote). Only while
    voting is open, so the count at the close is the one revealed; a voided vote stays."""
    assert challenge.id is not None and user.id is not None
    now = now or utcnow()
    refused = _window_refusal(window_of(challenge), now, time_zone_for(session, challenge))
    if refused is not None:
        return refused
    _lock_voter(session, user.id)
    for vote in mine(session, challenge.id, user.id):
        if vote.team_id != team_id:
            continue
        if vote.voided_at is not None:
            return Refusal(
                Kind.conflict,
                _("This vote was voided by the organisers: there is nothing to withdraw."),
                "vote_voided",
            )
        session.delete(vote)
        session.flush()
        return vote
    return Refusal(Kind.not_found, _("You have not voted for this team."), "no_vote_here")


def revealed(session: Session, challenge_id: int) -> VoteReveal | None:
    return session.get(VoteReveal, challenge_id)


def reveal(
    session: Session, challenge: Challenge, actor: User, now: datetime | None = None
) -> VoteReveal | Refusal:
    """Shows the counts and the ranking to everyone, for good. Refused while voting is open
    or before it: counts read during the vote would steer it."""
    assert challenge.id is not None
    now = now or utcnow()
    window = window_of(challenge)
    if window is None:
        return Refusal(Kind.not_found, _("This challenge has no people's choice vote."), "no_vote")
    if revealed(session, challenge.id) is not None:
        return Refusal(
            Kind.conflict, _("The people's choice is already revealed."), "already_revealed"
        )
    if window.state(now) != "closed":
        return Refusal(
            Kind.conflict,
            _("Voting is not over: the counts can be revealed from {end}.").format(
                end=_when(window.end, time_zone_for(session, challenge))
            ),
            "vote_not_over",
            retry_at=window.end,
        )
    shown = VoteReveal(challenge_id=challenge.id, revealed_at=now, revealed_by=actor.id)
    session.add(shown)
    record(session, actor, challenge.id, "vote.reveal", f"challenge:{challenge.slug}", {})
    session.flush()
    return shown


def vote_of(session: Session, challenge_id: int, vote_id: int) -> Vote | None:
    vote = session.get(Vote, vote_id)
    return vote if vote is not None and vote.challenge_id == challenge_id else None


def void(
    session: Session,
    challenge: Challenge,
    actor: User,
    vote_id: int,
    reason: str,
    now: datetime | None = None,
) -> Vote | Refusal:
    """Voids a vote with the organiser's reason, which goes to the audit log with it; the
    vote stops counting and its voter sees that it was voided (not by whom)."""
    assert challenge.id is not None
    now = now or utcnow()
    vote = vote_of(session, challenge.id, vote_id)
    if vote is None:
        return Refusal(Kind.not_found, _("There is no such vote in this challenge."), "no_vote")
    reason = reason.strip()
    if len(reason) < REASON_MIN:
        return Refusal(
            Kind.invalid,
            _("Say why the vote is voided, in at least {n} characters.").format(n=REASON_MIN),
            "reason_missing",
            "reason",
        )
    if len(reason) > REASON_MAX:
        return Refusal(
            Kind.invalid,
            _("Write at most {n} characters (this text has {length}).").format(
                n=REASON_MAX, length=len(reason)
            ),
            "too_long",
            "reason",
        )
    if vote.voided_at is not None:
        return Refusal(Kind.conflict, _("This vote is already voided."), "already_voided")
    vote.voided_at = now
    vote.voided_by = actor.id
    vote.void_reason = reason
    session.add(vote)
    record(
        session, actor, challenge.id, "vote.void", f"vote:{vote.id}",
        {"vote_id": vote.id, "team_id": vote.team_id, "voter_id": vote.voter_id,
         "reason": reason},
    )  # fmt: skip
    session.flush()
    return vote


@dataclass(frozen=True)
class Standing:
    """A team's place in the people's choice: teams with as many votes share a place."""

    team: Team
    votes: int
    rank: int
    tied: bool


def tally(session: Session, challenge: Challenge) -> list[Standing]:
    """Live votes per votable team, most first; equal counts share the better place (1, 1, 3)
    and say so. For the organisers always, for everyone else only after the reveal."""
    assert challenge.id is not None
    counted = dict(
        session.exec(
            select(Vote.team_id, func.count())
            .where(Vote.challenge_id == challenge.id)
            .where(col(Vote.voided_at).is_(None))
            .group_by(col(Vote.team_id))
        ).all()
    )
    teams = votable_teams(session, challenge)
    numbers = {t.id: int(counted.get(t.id or 0, 0)) for t in teams}
    ordered = sorted(teams, key=lambda t: (-numbers[t.id], t.name, t.id or 0))
    frequency: dict[int, int] = {}
    for n in numbers.values():
        frequency[n] = frequency.get(n, 0) + 1
    standings = []
    for team in ordered:
        n = numbers[team.id]
        better = sum(1 for other in numbers.values() if other > n)
        standings.append(Standing(team, n, better + 1, frequency[n] > 1))
    return standings


@dataclass(frozen=True)
class VoteRow:
    """One vote as the organisers' page lists it, with the flags it raised."""

    vote: Vote
    voter: User
    team_name: str
    flags: list[Flag]


def for_organisers(session: Session, challenge: Challenge) -> list[VoteRow]:
    """Every vote, newest first, each with its flags computed now from all the votes (so a
    flag cannot go stale). Voided votes take part: a burst is a burst whoever was voided."""
    assert challenge.id is not None
    rows = list(
        session.exec(
            select(Vote, User)
            .join(User, col(User.id) == col(Vote.voter_id))
            .where(Vote.challenge_id == challenge.id)
            .order_by(col(Vote.created_at).desc(), col(Vote.id).desc())
        ).all()
    )
    window = window_of(challenge)
    records = [
        VoteRecord(
            vote_id=vote.id or 0,
            voter_id=vote.voter_id,
            project_id=vote.team_id,
            account_created_at=voter.created_at,
            # The site keeps no moment of verification: a voter verified now was verified
            # when voting (the vote was refused otherwise); one unverified now is flagged.
            email_verified_at=vote.created_at if voter.email_verified else None,
            address=vote.address,
            voted_at=vote.created_at,
        )
        for vote, voter in rows
    ]
    opened = window.start if window is not None else utcnow()
    flags: dict[int, list[Flag]] = {}
    for flag in flag_votes(records, opened):
        flags.setdefault(flag.vote_id, []).append(flag)
    names = {t.id: t.name for t in votable_teams(session, challenge)}
    return [
        VoteRow(
            vote, voter, names.get(vote.team_id, str(vote.team_id)), flags.get(vote.id or 0, [])
        )
        for vote, voter in rows
    ]
