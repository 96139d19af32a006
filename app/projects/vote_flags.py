"""Signs that people's choice votes may not be people's: flags for organisers, never verdicts.

Pure and deterministic: the organisers' page computes the flags from the votes each time, so
a flag cannot go stale, and the tests check the rules on plain values. A flag voids nothing;
an organiser reads its explanation (with the numbers that raised it) and decides, and a void
goes to the audit log with their reason.

The signs:
- `new_account`: the voter's account was created after voting opened (accounts made to vote);
- `unverified`: the vote was cast before the voter's e-mail was verified, or it never was
  (the site refuses those votes, so one here means a rule was bypassed);
- `burst`: more than `burst_votes` votes from one network address within `burst_seconds`;
- `shared_address`: `shared_accounts` or more accounts voted for the same project from one
  address. Not two: two people at home voting for a friend's project is ordinary.

The address is whatever the site stores (a hashed or truncated network address): only
equality matters here. A vote without one takes part in no address rule. Times without a
zone are taken as UTC (SQLite hands them back so).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from app.text.words import N_, Words

__all__ = ["Flag", "FlagKind", "FlagRules", "VoteRecord", "flag_votes"]


class FlagKind(StrEnum):
    new_account = "new_account"
    unverified = "unverified"
    burst = "burst"
    shared_address = "shared_address"


_ORDER = {kind: n for n, kind in enumerate(FlagKind)}


@dataclass(frozen=True)
class VoteRecord:
    vote_id: int
    voter_id: int
    project_id: int
    account_created_at: datetime
    email_verified_at: datetime | None
    address: str | None  # hashed or truncated network address; None when unknown
    voted_at: datetime


@dataclass(frozen=True)
class FlagRules:
    """The thresholds; the defaults suit an event of a few hundred voters."""

    burst_votes: int = 5  # a burst is MORE than this many votes ...
    burst_seconds: int = 600  # ... from one address within this many seconds
    shared_accounts: int = 3  # this many accounts or more, one address, one project

    def __post_init__(self) -> None:
        if self.burst_votes < 1 or self.burst_seconds < 0 or self.shared_accounts < 2:
            raise ValueError(f"unusable flag rules: {self}")


@dataclass(frozen=True)
class Flag:
    vote_id: int
    kind: FlagKind
    explanation: Words


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _elapsed(later: datetime, earlier: datetime) -> tuple[bool, int]:
    """(in hours?, the whole number): minutes below two hours, whole hours above."""
    minutes = int((later - earlier).total_seconds() // 60)
    return (False, minutes) if minutes < 120 else (True, minutes // 60)


def _new_account(vote: VoteRecord, opened_at: datetime) -> Flag | None:
    created = _utc(vote.account_created_at)
    if created <= opened_at:
        return None
    in_hours, amount = _elapsed(created, opened_at)
    explanation = (
        N_("account created {hours} h after voting opened", hours=amount)
        if in_hours
        else N_("account created {minutes} min after voting opened", minutes=amount)
    )
    return Flag(vote.vote_id, FlagKind.new_account, explanation)


def _unverified(vote: VoteRecord) -> Flag | None:
    if vote.email_verified_at is None:
        return Flag(
            vote.vote_id, FlagKind.unverified, N_("the voter's e-mail address is not verified")
        )
    verified, voted = _utc(vote.email_verified_at), _utc(vote.voted_at)
    if verified <= voted:
        return None
    in_hours, amount = _elapsed(verified, voted)
    explanation = (
        N_("vote cast {hours} h before the voter's e-mail address was verified", hours=amount)
        if in_hours
        else N_(
            "vote cast {minutes} min before the voter's e-mail address was verified",
            minutes=amount,
        )
    )
    return Flag(vote.vote_id, FlagKind.unverified, explanation)


def _burst_words(count: int, rules: FlagRules) -> Words:
    if rules.burst_seconds % 60 == 0:
        return N_(
            "{count} votes from one address within {minutes} min (more than {limit})",
            count=count,
            minutes=rules.burst_seconds // 60,
            limit=rules.burst_votes,
        )
    return N_(
        "{count} votes from one address within {seconds} s (more than {limit})",
        count=count,
        seconds=rules.burst_seconds,
        limit=rules.burst_votes,
    )


def _bursts(votes: list[VoteRecord], rules: FlagRules) -> list[Flag]:
    """Votes of one address, in time order, that lie in a window of `burst_seconds` holding
    more than `burst_votes` votes; each says the largest such window it lies in."""
    times = [_utc(v.voted_at) for v in votes]
    n = len(votes)
    # counts[i]: votes in the longest window ending at vote i; starts[i]: where it starts.
    starts: list[int] = []
    left = 0
    for i in range(n):
        while (times[i] - times[left]).total_seconds() > rules.burst_seconds:
            left += 1
        starts.append(left)
    counts = [i - starts[i] + 1 for i in range(n)]
    # Vote j lies in the windows ending at i >= j with starts[i] <= j; starts only grows, so
    # those i are j..last[j], a range moving right with j: a sliding maximum over counts.
    flags: list[Flag] = []
    best: deque[int] = deque()  # indices i, counts decreasing
    reach = 0  # next window end to push
    for j in range(n):
        while reach < n and starts[reach] <= j:
            while best and counts[best[-1]] <= counts[reach]:
                best.pop()
            best.append(reach)
            reach += 1
        while best[0] < j:
            best.popleft()
        largest = counts[best[0]]
        if largest > rules.burst_votes:
            flags.append(
                Flag(
                    votes[j].vote_id,
                    FlagKind.burst,
                    _burst_words(largest, rules),
                )
            )
    return flags


def flag_votes(
    votes: Iterable[VoteRecord], opened_at: datetime, rules: FlagRules | None = None
) -> list[Flag]:
    """Every flag of every vote, ordered by vote id then kind; a vote may have several."""
    rules = rules or FlagRules()
    opened = _utc(opened_at)
    ordered = sorted(votes, key=lambda v: v.vote_id)
    ids = [v.vote_id for v in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("a vote id is given twice")
    flags: list[Flag] = []
    by_address: dict[str, list[VoteRecord]] = defaultdict(list)
    voters: dict[tuple[str, int], set[int]] = defaultdict(set)
    for vote in ordered:
        for flag in (_new_account(vote, opened), _unverified(vote)):
            if flag is not None:
                flags.append(flag)
        if vote.address is not None:
            by_address[vote.address].append(vote)
            voters[(vote.address, vote.project_id)].add(vote.voter_id)
    for address in sorted(by_address):
        in_time = sorted(by_address[address], key=lambda v: (_utc(v.voted_at), v.vote_id))
        flags.extend(_bursts(in_time, rules))
    for vote in ordered:
        if vote.address is None:
            continue
        accounts = len(voters[(vote.address, vote.project_id)])
        if accounts >= rules.shared_accounts:
            flags.append(
                Flag(
                    vote.vote_id,
                    FlagKind.shared_address,
                    N_(
                        "{accounts} accounts voted for this project from one address",
                        accounts=accounts,
                    ),
                )
            )
    flags.sort(key=lambda f: (f.vote_id, _ORDER[f.kind]))
    return flags
