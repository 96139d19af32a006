"""People's choice flags: each sign on hand-made votes at its thresholds, and random votes with
fixed seeds against oracles written here (bursts by brute force over every window)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from app.i18n import Catalogs
from app.projects.vote_flags import Flag, FlagKind, FlagRules, VoteRecord, flag_votes
from app.text.words import said

pytestmark = pytest.mark.unit  # needs no service: `make unit`

ITALIAN = Catalogs().translations("it").gettext
OPENED = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
OLD = OPENED - timedelta(days=30)


def vote(
    vote_id: int,
    *,
    voter: int | None = None,
    project: int = 1,
    created: datetime = OLD,
    verified: datetime | None = OLD,
    address: str | None = None,
    at: timedelta = timedelta(hours=1),
) -> VoteRecord:
    return VoteRecord(
        vote_id,
        voter if voter is not None else vote_id,
        project,
        created,
        verified,
        address if address is not None else f"addr-{vote_id}",
        OPENED + at,
    )


def kinds(flags: list[Flag]) -> list[tuple[int, FlagKind]]:
    return [(f.vote_id, f.kind) for f in flags]


def test_ordinary_votes_raise_no_flag() -> None:
    votes = [vote(n, project=n % 3) for n in range(1, 30)]
    assert flag_votes(votes, OPENED) == []


def test_an_account_created_after_voting_opened_is_flagged_with_how_long_after() -> None:
    flags = flag_votes(
        [
            vote(1, created=OPENED + timedelta(minutes=30, seconds=59)),
            vote(2, created=OPENED),  # the same instant is not after
            vote(3, created=OPENED + timedelta(hours=5, minutes=10)),
            vote(4, created=OPENED - timedelta(seconds=1)),
        ],
        OPENED,
    )
    assert kinds(flags) == [(1, FlagKind.new_account), (3, FlagKind.new_account)]
    assert flags[0].explanation == "account created 30 min after voting opened"
    assert flags[1].explanation == "account created 5 h after voting opened"
    assert said(flags[1].explanation, ITALIAN) == "account creato 5 h dopo l'apertura del voto"


def test_a_vote_before_the_email_was_verified_is_flagged() -> None:
    flags = flag_votes(
        [
            vote(1, verified=None),
            vote(2, verified=OPENED + timedelta(hours=1, minutes=45), at=timedelta(hours=1)),
            vote(3, verified=OPENED + timedelta(hours=1), at=timedelta(hours=1)),
        ],
        OPENED,
    )
    assert kinds(flags) == [(1, FlagKind.unverified), (2, FlagKind.unverified)]
    assert flags[0].explanation == "the voter's e-mail address is not verified"
    assert flags[1].explanation == (
        "vote cast 45 min before the voter's e-mail address was verified"
    )
    assert said(flags[0].explanation, ITALIAN) == (
        "l'indirizzo e-mail di chi ha votato non è verificato"
    )


def burst(count: int, span_seconds: int, *, address: str = "net-a") -> list[VoteRecord]:
    """`count` votes by different accounts for different projects, evenly over the span."""
    step = span_seconds / max(1, count - 1)
    return [
        vote(n + 1, project=n + 1, address=address, at=timedelta(seconds=round(n * step)))
        for n in range(count)
    ]


def test_five_votes_in_ten_minutes_are_allowed_six_are_a_burst() -> None:
    assert flag_votes(burst(5, 0), OPENED) == []
    flags = flag_votes(burst(6, 600), OPENED)  # the first and last exactly 600 s apart
    assert kinds(flags) == [(n, FlagKind.burst) for n in range(1, 7)]
    assert {f.explanation for f in flags} == {
        "6 votes from one address within 10 min (more than 5)"
    }
    assert said(flags[0].explanation, ITALIAN) == (
        "6 voti dallo stesso indirizzo in 10 min (più di 5)"
    )
    assert flag_votes(burst(6, 601), OPENED) == []


def test_each_burst_vote_tells_the_largest_burst_it_is_in() -> None:
    """Seven votes in a minute, then one an hour later: the seven say 7, the late one nothing."""
    votes = [*burst(7, 60), vote(8, address="net-a", at=timedelta(hours=2))]
    flags = flag_votes(votes, OPENED)
    assert kinds(flags) == [(n, FlagKind.burst) for n in range(1, 8)]
    assert all(f.explanation.startswith("7 votes") for f in flags)


def test_bursts_count_one_address_only_and_never_unknown_addresses() -> None:
    mixed = [
        vote(n, project=n, address="net-a" if n % 2 else "net-b", at=timedelta(seconds=n))
        for n in range(1, 11)
    ]
    assert flag_votes(mixed, OPENED) == []  # five from each
    unknown = [
        VoteRecord(n, n, n, OLD, OLD, None, OPENED + timedelta(seconds=n)) for n in range(1, 20)
    ]
    assert flag_votes(unknown, OPENED) == []


def test_rules_in_seconds_and_other_limits() -> None:
    rules = FlagRules(burst_votes=2, burst_seconds=90)
    flags = flag_votes(burst(3, 90), OPENED, rules)
    assert {f.explanation for f in flags} == {"3 votes from one address within 90 s (more than 2)"}
    assert said(flags[0].explanation, ITALIAN) == (
        "3 voti dallo stesso indirizzo in 90 s (più di 2)"
    )


def test_several_accounts_voting_one_project_from_one_address_are_flagged() -> None:
    hours = timedelta(hours=1)
    votes = [
        # three accounts, one address, project 5: flagged
        vote(1, voter=11, project=5, address="home", at=hours),
        vote(2, voter=12, project=5, address="home", at=2 * hours),
        vote(3, voter=13, project=5, address="home", at=3 * hours),
        # two accounts, one address, project 6: a household
        vote(4, voter=11, project=6, address="home", at=4 * hours),
        vote(5, voter=12, project=6, address="flat", at=5 * hours),
        vote(6, voter=14, project=6, address="flat", at=6 * hours),
        # one address, three accounts, three projects
        vote(7, voter=21, project=7, address="cafe", at=hours),
        vote(8, voter=22, project=8, address="cafe", at=2 * hours),
        vote(9, voter=23, project=9, address="cafe", at=3 * hours),
    ]
    flags = flag_votes(votes, OPENED)
    assert kinds(flags) == [(n, FlagKind.shared_address) for n in (1, 2, 3)]
    assert flags[0].explanation == "3 accounts voted for this project from one address"
    assert said(flags[0].explanation, ITALIAN) == (
        "3 account hanno votato questo progetto dallo stesso indirizzo"
    )
    two = flag_votes(votes, OPENED, FlagRules(shared_accounts=2))
    assert [f.vote_id for f in two] == [1, 2, 3, 5, 6]


def test_one_vote_can_carry_several_flags_in_kind_order() -> None:
    fresh = OPENED + timedelta(minutes=5)
    votes = [
        vote(
            n,
            project=1,
            created=fresh,
            verified=None,
            address="bot",
            at=timedelta(minutes=10, seconds=n),
        )
        for n in range(1, 7)
    ]
    flags = flag_votes(votes, OPENED)
    assert [f.kind for f in flags if f.vote_id == 4] == list(FlagKind)
    assert len(flags) == 6 * 4


def test_times_without_a_zone_are_utc() -> None:
    naive = VoteRecord(
        1,
        1,
        1,
        datetime(2027, 3, 1, 9, 20),
        datetime(2027, 3, 1, 9, 21),
        "x",
        datetime(2027, 3, 1, 9, 30),
    )
    (flag,) = flag_votes([naive], OPENED)
    assert flag.explanation == "account created 20 min after voting opened"
    assert flag_votes([naive], OPENED.replace(tzinfo=None) + timedelta(hours=1)) == []


def test_caller_mistakes_raise() -> None:
    with pytest.raises(ValueError, match="twice"):
        flag_votes([vote(1), vote(1)], OPENED)
    with pytest.raises(ValueError, match="unusable"):
        FlagRules(burst_votes=0)
    with pytest.raises(ValueError, match="unusable"):
        FlagRules(shared_accounts=1)


# --- random votes ------------------------------------------------------------------------


def random_votes(rng: random.Random) -> list[VoteRecord]:
    addresses = ["a", "b", "c", None]
    votes = []
    for n in range(rng.randint(0, 60)):
        created = OPENED + timedelta(minutes=rng.randint(-600, 300))
        verified = rng.choice([None, created + timedelta(minutes=rng.randint(0, 200))])
        votes.append(
            VoteRecord(
                rng.randint(1, 10_000) * 100 + n,  # distinct, not in time order
                rng.randint(1, 15),
                rng.randint(1, 4),
                created,
                verified,
                rng.choice(addresses),
                OPENED + timedelta(seconds=60 * rng.randint(0, 90)),  # ties are common
            )
        )
    return votes


def largest_burst(votes: list[VoteRecord], target: VoteRecord, seconds: int) -> int:
    """Brute force: the most votes of the target's address in a window of `seconds` that
    holds the target, over windows starting at each vote."""
    same = [v.voted_at for v in votes if v.address == target.address]
    best = 0
    for start in same:
        end = start + timedelta(seconds=seconds)
        if start <= target.voted_at <= end:
            best = max(best, sum(start <= t <= end for t in same))
    return best


@pytest.mark.parametrize("seed", range(80))
def test_random_votes_match_the_oracles(seed: int) -> None:
    rng = random.Random(seed)
    votes = random_votes(rng)
    rules = FlagRules(
        burst_votes=rng.randint(1, 6),
        burst_seconds=rng.choice([0, 60, 300, 600, 90]),
        shared_accounts=rng.randint(2, 4),
    )
    flags = flag_votes(votes, OPENED, rules)
    assert flags == sorted(flags, key=lambda f: (f.vote_id, list(FlagKind).index(f.kind)))
    got: dict[FlagKind, dict[int, str]] = defaultdict(dict)
    for f in flags:
        assert f.vote_id not in got[f.kind], "one flag of a kind per vote"
        got[f.kind][f.vote_id] = f.explanation

    assert set(got[FlagKind.new_account]) == {
        v.vote_id for v in votes if v.account_created_at > OPENED
    }
    assert set(got[FlagKind.unverified]) == {
        v.vote_id for v in votes if v.email_verified_at is None or v.email_verified_at > v.voted_at
    }
    expected_bursts = {}
    for v in votes:
        if v.address is None:
            continue
        largest = largest_burst(votes, v, rules.burst_seconds)
        if largest > rules.burst_votes:
            expected_bursts[v.vote_id] = largest
    assert set(got[FlagKind.burst]) == set(expected_bursts)
    for vote_id, largest in expected_bursts.items():
        assert got[FlagKind.burst][vote_id].startswith(f"{largest} votes from one address")
    accounts: dict[tuple[str, int], set[int]] = defaultdict(set)
    for v in votes:
        if v.address is not None:
            accounts[(v.address, v.project_id)].add(v.voter_id)
    assert set(got[FlagKind.shared_address]) == {
        v.vote_id
        for v in votes
        if v.address is not None
        and len(accounts[(v.address, v.project_id)]) >= rules.shared_accounts
    }

    shuffled = votes[:]
    rng.shuffle(shuffled)
    assert flag_votes(shuffled, OPENED, rules) == flags
