"""Review assignment: the rules (conflicts, coverage, kept assignments) on hand-made cases, and
on random instances with fixed seeds checked against oracles written here independently: the
eligibility rule, a max-flow for the smallest possible largest load, and brute force over every
assignment of tiny instances for the fully balanced (decreasingly minimal) loads."""

from __future__ import annotations

import itertools
import random
import string
from collections import deque
from collections.abc import Mapping
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.core.refusal import Kind
from app.i18n import Catalogs
from app.projects.assignment import (
    Assignment,
    ConflictKind,
    DropReason,
    Judge,
    ProjectEntry,
    adjustment_refusal,
    assign,
    conflicts_of,
    same_affiliation,
)
from app.text.words import said

pytestmark = pytest.mark.unit  # needs no service: `make unit`

ITALIAN = Catalogs().translations("it").gettext


def italian(text: str) -> str:
    return said(text, ITALIAN)


def may_review(project: ProjectEntry, judge: Judge) -> bool:
    """The rule, written again: not a member, no declared conflict, no shared affiliation."""
    if judge.judge_id in project.members or project.team_id in judge.conflicts:
        return False
    mine = " ".join((judge.affiliation or "").lower().split())
    return not mine or all(" ".join(a.lower().split()) != mine for a in project.affiliations)


# --- the words ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "app" / "projects" / name for name in ("assignment.py", "vote_flags.py")]


def explanation_templates() -> list[str]:
    return sorted(
        {
            message
            for path in SOURCES
            for _, message, _, _ in extract_from_file("python", str(path), keywords={"N_": None})
            if isinstance(message, str)
        }
    )


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_explanation_is_in_the_italian_catalog_with_the_same_fields() -> None:
    """Both modules' words (assignment and vote flags): a sentence added without its Italian,
    or an Italian one that lost a `{field}`, fails here rather than on an organiser's page."""
    templates = explanation_templates()
    assert len(templates) >= 17
    with (ROOT / "app" / "locale" / "it" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source)
    for template in templates:
        entry = catalog.get(template)
        assert entry is not None and isinstance(entry.string, str), template
        assert entry.string and not entry.fuzzy, f"no Italian for {template!r}"
        assert fields(entry.string) == fields(template), entry.string


# --- the conflict rule -------------------------------------------------------------------


def test_each_kind_of_conflict_is_found_and_explained() -> None:
    project = ProjectEntry(
        7, 70, frozenset({1, 2}), frozenset({"Università di Genova"}), team_name="Delfini"
    )
    member = Judge(1, name="Ada")
    declared = Judge(3, conflicts=frozenset({70}), name="Bea")
    colleague = Judge(4, affiliation="  università DI genova ", name="Carlo")
    all_three = Judge(2, affiliation="Università di Genova", conflicts=frozenset({70}))
    free = Judge(5, affiliation="CNR", conflicts=frozenset({71}), name="Dora")

    assert [c.kind for c in conflicts_of(project, member)] == [ConflictKind.member]
    assert conflicts_of(project, member)[0].explanation == "Ada is a member of team Delfini"
    assert conflicts_of(project, declared)[0].explanation == (
        "Bea declared a conflict with team Delfini"
    )
    (shared,) = conflicts_of(project, colleague)
    assert shared.kind is ConflictKind.affiliation
    assert shared.affiliation == "università DI genova"
    assert shared.explanation == (
        "Carlo shares the affiliation “università DI genova” with a member of team Delfini"
    )
    assert italian(shared.explanation) == (
        "Carlo ha la stessa affiliazione («università DI genova») di un membro della squadra"
        " Delfini"
    )
    assert [c.kind for c in conflicts_of(project, all_three)] == [
        ConflictKind.member,
        ConflictKind.declared,
        ConflictKind.affiliation,
    ]
    assert conflicts_of(project, all_three)[0].explanation == "#2 is a member of team Delfini"
    assert conflicts_of(project, free) == ()


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("UniGe", " unige ", True),
        ("Università  di\tGenova", "università di genova", True),
        ("università di genova", " Università  di\tGenova", True),
        ("UniGe", "Uni Ge", False),
        ("", "", False),
        ("   ", "   ", False),
        (None, "UniGe", False),
        ("UniGe", None, False),
        ("CNR", "CNR-IMATI", False),
    ],
)
def test_affiliations_match_trimmed_and_ignoring_case(
    a: str | None, b: str | None, same: bool
) -> None:
    assert same_affiliation(a, b) is same


def test_a_judge_without_affiliation_never_matches_members_without_one() -> None:
    project = ProjectEntry(1, 10, frozenset({50}), frozenset({"", "  "}))
    assert conflicts_of(project, Judge(1, affiliation="")) == ()
    assert conflicts_of(project, Judge(2, affiliation=None)) == ()


# --- hand-made assignments ---------------------------------------------------------------


def projects_of(count: int) -> list[ProjectEntry]:
    return [ProjectEntry(p, 100 + p, frozenset({1000 + p})) for p in range(1, count + 1)]


def test_without_conflicts_every_project_gets_k_and_loads_differ_by_at_most_one() -> None:
    result = assign(projects_of(5), [Judge(1), Judge(2), Judge(3)], 2)
    assert all(len(judges) == 2 for judges in result.reviews.values())
    assert sorted(result.loads.values()) == [3, 3, 4]
    assert result.spread == 1
    assert result.shortfalls == () and result.dropped == ()
    assert len(result.added) == 10


def test_a_chain_of_conflicts_is_balanced_where_a_greedy_pass_is_not() -> None:
    """Greedy in id order gives p1 to Ada (all tied at 0), p2 to Carlo, then p3 and p4 to Ada
    (the only one left): loads 3, 0, 1. Balanced: Bea takes p1, and Ada only 2."""
    projects = projects_of(4)
    teams = {p.project_id: p.team_id for p in projects}
    ada = Judge(1)
    bea = Judge(2, conflicts=frozenset({teams[2], teams[3], teams[4]}))
    carlo = Judge(3, conflicts=frozenset({teams[1], teams[3], teams[4]}))
    result = assign(projects, [carlo, ada, bea], 1)
    assert dict(result.reviews) == {1: (2,), 2: (3,), 3: (1,), 4: (1,)}
    assert dict(result.loads) == {1: 2, 2: 1, 3: 1}


def test_too_few_judges_without_a_conflict_is_a_shortfall_listing_the_conflicts() -> None:
    project = ProjectEntry(9, 90, frozenset({1, 900}), frozenset({"CNR"}), team_name="Orche")
    other = ProjectEntry(8, 80, frozenset({800}))
    judges = [
        Judge(1, name="Ada"),  # a member
        Judge(2, conflicts=frozenset({90}), name="Bea"),
        Judge(3, affiliation="cnr", name="Carlo"),
        Judge(4, name="Dora"),
    ]
    result = assign([project, other], judges, 3)
    assert result.reviews[9] == (4,)
    assert len(result.reviews[8]) == 3
    (short,) = result.shortfalls
    assert (short.project_id, short.wanted, short.got, short.eligible) == (9, 3, 1, 1)
    assert [(c.judge_id, c.kind) for c in short.conflicts] == [
        (1, ConflictKind.member),
        (2, ConflictKind.declared),
        (3, ConflictKind.affiliation),
    ]
    assert short.explanation == (
        "the project of team Orche gets 1 of 3 reviews: only 1 of 4 judges have no conflict"
        " with the team"
    )
    assert italian(short.explanation) == (
        "il progetto della squadra Orche riceve 1 valutazioni su 3: solo 1 giurati su 4 non"
        " sono in conflitto di interessi con la squadra"
    )


def test_no_judges_at_all_is_a_shortfall_for_every_project_not_an_error() -> None:
    result = assign(projects_of(2), [], 3)
    assert dict(result.reviews) == {1: (), 2: ()}
    assert dict(result.loads) == {}
    assert result.spread == 0
    assert [s.project_id for s in result.shortfalls] == [1, 2]
    assert all(s.got == 0 and s.eligible == 0 for s in result.shortfalls)


def test_k_larger_than_the_jury_gives_every_judge_to_every_project() -> None:
    result = assign(projects_of(3), [Judge(1), Judge(2)], 5)
    assert all(judges == (1, 2) for judges in result.reviews.values())
    assert len(result.shortfalls) == 3


def test_k_zero_assigns_nothing_new_and_misses_nothing() -> None:
    result = assign(projects_of(2), [Judge(1)], 0, {1: [1]})
    assert dict(result.reviews) == {1: (1,), 2: ()}
    assert result.added == () and result.shortfalls == ()


def test_existing_assignments_are_kept_and_count_in_the_loads() -> None:
    """Ada already reviews p1 (an organiser's choice): the three other projects go to Bea
    twice and Ada once, not Ada twice."""
    result = assign(projects_of(4), [Judge(1), Judge(2)], 1, {1: [1]})
    assert result.reviews[1] == (1,)
    assert dict(result.loads) == {1: 2, 2: 2}
    assert (1, 1) not in result.added
    assert len(result.added) == 3


def test_kept_assignments_beyond_k_stay_and_nothing_is_added() -> None:
    existing = {1: [3, 1, 2, 1], 2: [1], 3: [1]}  # a duplicate is one assignment
    result = assign(projects_of(3), [Judge(1), Judge(2), Judge(3)], 1, existing)
    assert dict(result.reviews) == {1: (1, 2, 3), 2: (1,), 3: (1,)}
    assert dict(result.loads) == {1: 3, 2: 1, 3: 1}
    assert result.added == ()


def test_existing_assignments_the_rules_now_forbid_are_dropped_and_replaced() -> None:
    projects = [
        ProjectEntry(1, 10, frozenset({100}), team_name="Delfini"),
        ProjectEntry(2, 20, frozenset({200})),
    ]
    ada = Judge(1, conflicts=frozenset({10}), name="Ada")  # declared after being assigned
    bea = Judge(2, name="Bea")
    result = assign(projects, [ada, bea], 1, {1: [1, 9], 5: [2]})
    assert result.reviews[1] == (2,)  # Bea replaces Ada
    assert result.reviews[2] == (1,)
    assert [(d.project_id, d.judge_id, d.reason) for d in result.dropped] == [
        (1, 1, DropReason.conflict),
        (1, 9, DropReason.not_a_judge),
        (5, 2, DropReason.no_such_project),
    ]
    conflict, gone, unknown = result.dropped
    assert [c.kind for c in conflict.conflicts] == [ConflictKind.declared]
    assert conflict.explanation == (
        "Ada declared a conflict with team Delfini: they no longer review the team's project"
    )
    assert gone.explanation == (
        "judge #9 has left the jury: they no longer review the project of team Delfini"
    )
    assert unknown.explanation == "project #5 is not under review: judge Bea no longer reviews it"
    assert italian(unknown.explanation) == (
        "il progetto #5 non è in valutazione: il giurato Bea non lo valuta più"
    )


def test_caller_mistakes_raise() -> None:
    with pytest.raises(ValueError, match="k must be"):
        assign(projects_of(1), [Judge(1)], -1)
    with pytest.raises(ValueError, match="project 1"):
        assign([*projects_of(1), *projects_of(1)], [Judge(1)], 1)
    with pytest.raises(ValueError, match="judge 4"):
        assign(projects_of(1), [Judge(4), Judge(4, name="again")], 1)


# --- an organiser's adjustment -----------------------------------------------------------


def test_an_adjustment_giving_a_project_to_a_judge_with_a_conflict_is_refused() -> None:
    project = ProjectEntry(3, 30, frozenset({7}), frozenset({"IIT"}), team_name="Balene")
    refusal = adjustment_refusal(project, Judge(8, affiliation="iit", name="Eva"))
    assert refusal is not None
    assert refusal.kind is Kind.conflict
    assert refusal.code == "conflict_affiliation"
    assert refusal.message == (
        "Eva shares the affiliation “iit” with a member of team Balene: a judge with a conflict"
        " cannot review the team's project"
    )
    assert italian(refusal.message) == (
        "Eva ha la stessa affiliazione («iit») di un membro della squadra Balene: un giurato in"
        " conflitto di interessi non può valutare il progetto della squadra"
    )
    member = adjustment_refusal(project, Judge(7, conflicts=frozenset({30})))
    assert member is not None and member.code == "conflict_member"


def test_an_adjustment_to_a_judge_without_conflict_is_allowed_once() -> None:
    project = ProjectEntry(3, 30, frozenset({7}), team_name="Balene")
    judge = Judge(8, affiliation="CNR", conflicts=frozenset({31}), name="Eva")
    assert adjustment_refusal(project, judge, [1, 2]) is None
    again = adjustment_refusal(project, judge, [8])
    assert again is not None
    assert (again.kind, again.code) == (Kind.conflict, "already_assigned")
    assert again.message == "Eva already reviews the project of team Balene"


# --- random instances --------------------------------------------------------------------

AFFILIATIONS = ["Università di Genova", "CNR", "Comune di Genova", "IIT", "Liguria Digitale"]


def spelled(rng: random.Random, affiliation: str) -> str:
    """The same affiliation as people type it: other case, stray spaces."""
    doubled = affiliation.replace(" ", "  ")
    variants = [affiliation, affiliation.upper(), f"  {affiliation.lower()} ", doubled]
    return rng.choice(variants)


def instance(
    rng: random.Random, *, conflicts: bool, existing: bool, size: int = 14
) -> tuple[list[ProjectEntry], list[Judge], int, dict[int, list[int]]]:
    judge_ids = rng.sample(range(1, 60), rng.randint(1, max(1, size // 2)))
    project_ids = rng.sample(range(1, 500), rng.randint(1, size))
    projects = []
    for n, pid in enumerate(project_ids):
        members = rng.sample(range(1, 60) if conflicts else range(100, 200), rng.randint(1, 4))
        affs = rng.sample(AFFILIATIONS, rng.randint(0, 2)) if conflicts else []
        projects.append(
            ProjectEntry(
                pid,
                1000 + n,
                frozenset(members),
                frozenset(spelled(rng, a) for a in affs),
            )
        )
    teams = [p.team_id for p in projects]
    judges = []
    for jid in judge_ids:
        declared = rng.sample(teams, rng.randint(0, min(2, len(teams)))) if conflicts else []
        aff = rng.choice([*AFFILIATIONS, None, None]) if conflicts else None
        judges.append(
            Judge(
                jid,
                spelled(rng, aff) if aff is not None else None,
                frozenset(declared),
            )
        )
    current: dict[int, list[int]] = {}
    if existing:
        for _ in range(rng.randint(0, size)):
            pid = rng.choice([*project_ids, 999])  # 999: no such project
            jid = rng.choice([*judge_ids, 77])  # 77: no such judge
            current.setdefault(pid, []).append(jid)
    return projects, judges, rng.randint(1, 4), current


def kept_pairs(
    projects: list[ProjectEntry], judges: list[Judge], existing: Mapping[int, list[int]]
) -> set[tuple[int, int]]:
    by_project = {p.project_id: p for p in projects}
    by_judge = {j.judge_id: j for j in judges}
    return {
        (pid, jid)
        for pid, jids in existing.items()
        for jid in jids
        if pid in by_project and jid in by_judge and may_review(by_project[pid], by_judge[jid])
    }


def needs_and_options(
    projects: list[ProjectEntry], judges: list[Judge], k: int, kept: set[tuple[int, int]]
) -> tuple[dict[int, int], dict[int, list[int]]]:
    needs: dict[int, int] = {}
    options: dict[int, list[int]] = {}
    for p in projects:
        eligible = [j.judge_id for j in judges if may_review(p, j)]
        have = [jid for jid in eligible if (p.project_id, jid) in kept]
        needs[p.project_id] = max(0, min(k, len(eligible)) - len(have))
        options[p.project_id] = [jid for jid in eligible if jid not in have]
    return needs, options


def max_flow_fits(
    needs: dict[int, int], options: dict[int, list[int]], room: dict[int, int]
) -> bool:
    """Edmonds-Karp: can every need be met with judge j taking at most room[j] more?"""
    capacity: dict[tuple[str, str], int] = {}
    graph: dict[str, set[str]] = {}

    def edge(u: str, v: str, c: int) -> None:
        capacity[(u, v)] = capacity.get((u, v), 0) + c
        capacity.setdefault((v, u), 0)
        graph.setdefault(u, set()).add(v)
        graph.setdefault(v, set()).add(u)

    for pid, need in needs.items():
        edge("s", f"p{pid}", need)
        for jid in options[pid]:
            edge(f"p{pid}", f"j{jid}", 1)
    for jid, r in room.items():
        edge(f"j{jid}", "t", max(0, r))
    flow = 0
    while True:
        parent: dict[str, str] = {"s": "s"}
        queue = deque(["s"])
        while queue and "t" not in parent:
            u = queue.popleft()
            for v in sorted(graph.get(u, ())):
                if v not in parent and capacity[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return flow == sum(needs.values())
        v = "t"
        while v != "s":
            u = parent[v]
            capacity[(u, v)] -= 1
            capacity[(v, u)] += 1
            v = u
        flow += 1


def smallest_max_load(
    needs: dict[int, int], options: dict[int, list[int]], base: dict[int, int]
) -> int:
    if not base:
        return 0
    limit = max(base.values())
    while not max_flow_fits(needs, options, {j: limit - b for j, b in base.items()}):
        limit += 1
    return limit


def check_rules(
    result: Assignment,
    projects: list[ProjectEntry],
    judges: list[Judge],
    k: int,
    existing: dict[int, list[int]],
) -> None:
    by_project = {p.project_id: p for p in projects}
    by_judge = {j.judge_id: j for j in judges}
    assert set(result.reviews) == set(by_project)
    assert set(result.loads) == set(by_judge)
    kept = kept_pairs(projects, judges, existing)
    pairs = {(pid, jid) for pid, jids in result.reviews.items() for jid in jids}
    for pid, jids in result.reviews.items():
        assert list(jids) == sorted(set(jids)), "sorted, distinct judges"
        for jid in jids:
            assert may_review(by_project[pid], by_judge[jid]), f"conflict: {pid} {jid}"
    assert kept <= pairs, "every allowed existing assignment is kept"
    given = {(pid, jid) for pid, jids in existing.items() for jid in jids}
    assert {(d.project_id, d.judge_id) for d in result.dropped} == given - kept
    assert set(result.added) == pairs - kept
    assert list(result.added) == sorted(result.added)
    for p in projects:
        eligible = sum(may_review(p, j) for j in judges)
        have = sum((p.project_id, j.judge_id) in kept for j in judges)
        assert len(result.reviews[p.project_id]) == max(have, min(k, eligible))
    for jid in by_judge:
        assert result.loads[jid] == sum(jid in jids for jids in result.reviews.values())
    short = {pid for pid, jids in result.reviews.items() if len(jids) < k}
    assert [s.project_id for s in result.shortfalls] == sorted(short)
    for s in result.shortfalls:
        p = by_project[s.project_id]
        assert s.got == s.eligible == len(result.reviews[p.project_id]) < k
        assert {c.judge_id for c in s.conflicts} == {
            j.judge_id for j in judges if not may_review(p, j)
        }


@pytest.mark.parametrize("seed", range(150))
def test_random_instances_keep_the_rules_and_the_smallest_largest_load(seed: int) -> None:
    rng = random.Random(seed)
    projects, judges, k, existing = instance(rng, conflicts=True, existing=seed % 2 == 0)
    result = assign(projects, judges, k, existing)
    check_rules(result, projects, judges, k, existing)
    kept = kept_pairs(projects, judges, existing)
    needs, options = needs_and_options(projects, judges, k, kept)
    base = {j.judge_id: sum(jid == j.judge_id for _, jid in kept) for j in judges}
    assert max(result.loads.values()) == smallest_max_load(needs, options, base)

    shuffled_projects, shuffled_judges = projects[:], judges[:]
    rng.shuffle(shuffled_projects)
    rng.shuffle(shuffled_judges)
    assert assign(shuffled_projects, shuffled_judges, k, existing) == result
    assert assign(projects, judges, k, existing) == result


@pytest.mark.parametrize("seed", range(60))
def test_without_conflicts_loads_differ_by_at_most_one(seed: int) -> None:
    rng = random.Random(1000 + seed)
    projects, judges, k, existing = instance(rng, conflicts=False, existing=False, size=30)
    result = assign(projects, judges, k, existing)
    check_rules(result, projects, judges, k, existing)
    assert result.spread <= 1
    assert all(len(j) == min(k, len(judges)) for j in result.reviews.values())


@pytest.mark.parametrize("seed", range(120))
def test_tiny_instances_get_the_most_even_loads_brute_force_finds(seed: int) -> None:
    """Decreasingly minimal: the sorted loads, largest first, are the lexicographically
    smallest of every assignment that gives each project its judges."""
    rng = random.Random(5000 + seed)
    projects, judges, k, existing = instance(rng, conflicts=True, existing=seed % 3 == 0, size=5)
    projects, judges, k = projects[:4], judges[:4], min(k, 2)
    result = assign(projects, judges, k, existing)
    check_rules(result, projects, judges, k, existing)
    kept = kept_pairs(projects, judges, existing)
    needs, options = needs_and_options(projects, judges, k, kept)
    base = {j.judge_id: sum(jid == j.judge_id for _, jid in kept) for j in judges}
    pids = sorted(needs)
    best: list[int] | None = None
    for choice in itertools.product(
        *(itertools.combinations(options[pid], needs[pid]) for pid in pids)
    ):
        loads = dict(base)
        for chosen in choice:
            for jid in chosen:
                loads[jid] += 1
        vector = sorted(loads.values(), reverse=True)
        if best is None or vector < best:
            best = vector
    assert sorted(result.loads.values(), reverse=True) == best


def test_a_bigger_event_is_covered_and_balanced() -> None:
    """200 projects, 30 judges, k = 3, a few conflicts each: all covered, loads 20 each."""
    rng = random.Random(42)
    projects = [
        ProjectEntry(p, 5000 + p, frozenset({10_000 + 4 * p + m for m in range(4)}))
        for p in range(200)
    ]
    judges = [Judge(j, None, frozenset(rng.sample(range(5000, 5200), 3))) for j in range(30)]
    result = assign(projects, judges, 3)
    assert result.shortfalls == ()
    assert set(result.loads.values()) == {20}
