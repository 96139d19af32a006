"""Who reviews which project: k reviews each, never by a judge with a conflict, even loads.

Pure (no database, no web), so the organisers' page, the CLI and the tests run the same
algorithm on the same values, and the same input always gives the same answer.

A judge may not review a project when they are a member of its team, declared a conflict with
the team, or share an affiliation with one of its members (compared trimmed, case-insensitive,
inner spaces collapsed: "Università di Genova " is "università  di genova"). Each project gets
min(k, judges without a conflict) distinct judges; where fewer than k judges may review it, the
project is reported as a `Shortfall` listing the conflicts, never raised as an error, because
organisers act on it (invite a judge) rather than fix a program.

Balance. Once every project takes its judges, the only freedom left is which judges, and
the load vectors (reviews per judge) reachable form an M-convex set: the degree vectors of a
bipartite b-matching. On such a set, the vector minimising the sum of squared loads is also
the "decreasingly minimal" one (Frank and Murota, "Discrete decreasing minimization", 2019):
its largest load is as small as possible, then the next largest, and so on; so the smallest
loads are also as large as possible. With no conflicts and nothing kept, that means
max load - min load <= 1; otherwise no judge carries more than the conflicts and the kept
assignments force. The squares are minimised exactly by a min-cost flow whose judge -> sink
arcs cost the marginal square 2·load + 1 (convex, so successive shortest paths stay optimal),
solved here by successive shortest paths with Dijkstra and potentials: no library, integer
costs, deterministic tie-breaking because projects and judges are numbered in id order.

Existing assignments (organisers' adjustments, reviews already begun) are kept and count in
the loads; one the rules now forbid (a conflict declared since, a judge who left the jury, a
project no longer under review) is dropped and reported in `dropped`, so that the invariant
"no judge reviews a team they have a conflict with" holds for every answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from app.core.refusal import Kind, Refusal
from app.text.words import N_, Words

__all__ = [
    "Assignment",
    "Conflict",
    "ConflictKind",
    "DropReason",
    "Dropped",
    "Judge",
    "ProjectEntry",
    "Shortfall",
    "adjustment_refusal",
    "assign",
    "conflicts_of",
    "same_affiliation",
]


class ConflictKind(StrEnum):
    member = "member"  # the judge is in the team
    declared = "declared"  # the judge said so
    affiliation = "affiliation"  # the judge's affiliation is a member's


@dataclass(frozen=True)
class Judge:
    judge_id: int
    affiliation: str | None = None
    conflicts: frozenset[int] = frozenset()  # ids of the teams the judge declared a conflict with
    name: str = ""  # shown in explanations; "#id" when empty


@dataclass(frozen=True)
class ProjectEntry:
    """A project to review, with what conflicts are judged on: its team, members, affiliations."""

    project_id: int
    team_id: int
    members: frozenset[int] = frozenset()  # user ids
    affiliations: frozenset[str] = frozenset()  # the members' affiliations, as they wrote them
    team_name: str = ""  # shown in explanations; "#team_id" when empty


@dataclass(frozen=True)
class Conflict:
    """Why one judge may not review one project; `explanation` says it to an organiser."""

    project_id: int
    judge_id: int
    kind: ConflictKind
    explanation: Words
    affiliation: str = ""  # the shared affiliation (as the judge wrote it), for `affiliation`


@dataclass(frozen=True)
class Shortfall:
    """A project with fewer than k reviews, because too few judges have no conflict with it."""

    project_id: int
    wanted: int  # k
    got: int  # judges assigned: all the judges who may review it
    eligible: int
    conflicts: tuple[Conflict, ...]  # one per reason of every other judge, by judge id
    explanation: Words


class DropReason(StrEnum):
    conflict = "conflict"  # the judge has a conflict with the team now
    not_a_judge = "not_a_judge"  # the judge is not among the judges any more
    no_such_project = "no_such_project"  # the project is not among those to review


@dataclass(frozen=True)
class Dropped:
    """An existing assignment not kept, and why."""

    project_id: int
    judge_id: int
    reason: DropReason
    explanation: Words
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """The answer: every project's judges, every judge's load, and what could not be done.

    `reviews` has every project (sorted judge ids, possibly none), `loads` every judge (0
    included); `added` are the (project, judge) pairs that were not in the existing
    assignments, which a caller stores.
    """

    k: int
    reviews: Mapping[int, tuple[int, ...]]
    loads: Mapping[int, int]
    added: tuple[tuple[int, int], ...]
    shortfalls: tuple[Shortfall, ...]
    dropped: tuple[Dropped, ...]

    @property
    def spread(self) -> int:
        """Largest load minus smallest (0 without judges)."""
        return max(self.loads.values()) - min(self.loads.values()) if self.loads else 0


def _norm(affiliation: str) -> str:
    return " ".join(affiliation.split()).casefold()


def same_affiliation(a: str | None, b: str | None) -> bool:
    """Trimmed, case-insensitive, inner spaces collapsed; an empty affiliation matches none."""
    if a is None or b is None:
        return False
    na = _norm(a)
    return bool(na) and na == _norm(b)


def _judge_label(judge: Judge) -> str:
    return judge.name or f"#{judge.judge_id}"


def _team_label(project: ProjectEntry) -> str:
    return project.team_name or f"#{project.team_id}"


def conflicts_of(project: ProjectEntry, judge: Judge) -> tuple[Conflict, ...]:
    """Every reason the judge may not review the project (none: they may), strongest first."""
    who, team = _judge_label(judge), _team_label(project)
    found: list[Conflict] = []
    if judge.judge_id in project.members:
        found.append(
            Conflict(
                project.project_id,
                judge.judge_id,
                ConflictKind.member,
                N_("{judge} is a member of team {team}", judge=who, team=team),
            )
        )
    if project.team_id in judge.conflicts:
        found.append(
            Conflict(
                project.project_id,
                judge.judge_id,
                ConflictKind.declared,
                N_("{judge} declared a conflict with team {team}", judge=who, team=team),
            )
        )
    if judge.affiliation is not None and any(
        same_affiliation(judge.affiliation, theirs) for theirs in project.affiliations
    ):
        shared = judge.affiliation.strip()
        found.append(
            Conflict(
                project.project_id,
                judge.judge_id,
                ConflictKind.affiliation,
                N_(
                    "{judge} shares the affiliation “{affiliation}” with a member of team {team}",
                    judge=who,
                    affiliation=shared,
                    team=team,
                ),
                shared,
            )
        )
    return tuple(found)


def adjustment_refusal(
    project: ProjectEntry, judge: Judge, assigned: Iterable[int] = ()
) -> Refusal | None:
    """Why an organiser may not give this project to this judge by hand, or None if they may.

    `assigned` are the judges the project has now. A conflict is refused like in the
    automatic assignment: organisers adjust the balance, not the rules.
    """
    if judge.judge_id in set(assigned):
        return Refusal(
            Kind.conflict,
            N_(
                "{judge} already reviews the project of team {team}",
                judge=_judge_label(judge),
                team=_team_label(project),
            ),
            code="already_assigned",
        )
    conflicts = conflicts_of(project, judge)
    if conflicts:
        return Refusal(
            Kind.conflict,
            N_(
                "{reason}: a judge with a conflict cannot review the team's project",
                reason=conflicts[0].explanation,
            ),
            code=f"conflict_{conflicts[0].kind.value}",
        )
    return None


def _unique(ids: Iterable[int], what: str) -> None:
    seen: set[int] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what} {i} is given twice")
        seen.add(i)


def assign(
    projects: Iterable[ProjectEntry],
    judges: Iterable[Judge],
    k: int,
    existing: Mapping[int, Iterable[int]] | None = None,
) -> Assignment:
    """The balanced assignment (module docstring); input order does not matter.

    Raises ValueError only for a caller's mistake (k < 0, an id given twice); a project that
    cannot get k reviews is a `Shortfall` in the answer.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, not {k}")
    plist = sorted(projects, key=lambda p: p.project_id)
    jlist = sorted(judges, key=lambda j: j.judge_id)
    _unique((p.project_id for p in plist), "project")
    _unique((j.judge_id for j in jlist), "judge")
    judge_index = {j.judge_id: n for n, j in enumerate(jlist)}
    project_index = {p.project_id: n for n, p in enumerate(plist)}

    conflicts = [[conflicts_of(p, j) for j in jlist] for p in plist]
    kept: list[set[int]] = [set() for _ in plist]  # judge indices
    dropped: list[Dropped] = []
    given = existing or {}
    for pid in sorted(given):
        for jid in sorted(set(given[pid])):
            if pid not in project_index:
                dropped.append(
                    Dropped(
                        pid,
                        jid,
                        DropReason.no_such_project,
                        N_(
                            "project #{project} is not under review: judge {judge} no longer reviews it",
                            project=pid,
                            judge=(
                                _judge_label(jlist[judge_index[jid]])
                                if jid in judge_index
                                else f"#{jid}"
                            ),
                        ),
                    )
                )
            elif jid not in judge_index:
                dropped.append(
                    Dropped(
                        pid,
                        jid,
                        DropReason.not_a_judge,
                        N_(
                            "judge #{judge} has left the jury: they no longer review the project of team {team}",
                            judge=jid,
                            team=_team_label(plist[project_index[pid]]),
                        ),
                    )
                )
            else:
                p, j = project_index[pid], judge_index[jid]
                if conflicts[p][j]:
                    dropped.append(
                        Dropped(
                            pid,
                            jid,
                            DropReason.conflict,
                            N_(
                                "{reason}: they no longer review the team's project",
                                reason=conflicts[p][j][0].explanation,
                            ),
                            conflicts[p][j],
                        )
                    )
                else:
                    kept[p].add(j)

    base = [0] * len(jlist)
    for judges_of in kept:
        for j in judges_of:
            base[j] += 1
    eligible = [[j for j in range(len(jlist)) if not conflicts[p][j]] for p in range(len(plist))]
    needs = [max(0, min(k, len(eligible[p])) - len(kept[p])) for p in range(len(plist))]
    options = [[j for j in eligible[p] if j not in kept[p]] for p in range(len(plist))]
    chosen = _balance(needs, options, base)

    reviews: dict[int, tuple[int, ...]] = {}
    loads = {j.judge_id: base[n] for n, j in enumerate(jlist)}
    added: list[tuple[int, int]] = []
    shortfalls: list[Shortfall] = []
    for p, project in enumerate(plist):
        for j in chosen[p]:
            loads[jlist[j].judge_id] += 1
            added.append((project.project_id, jlist[j].judge_id))
        ids = tuple(sorted(jlist[j].judge_id for j in kept[p] | set(chosen[p])))
        reviews[project.project_id] = ids
        if len(ids) < k:
            shortfalls.append(
                Shortfall(
                    project.project_id,
                    k,
                    len(ids),
                    len(eligible[p]),
                    tuple(c for row in conflicts[p] for c in row),
                    N_(
                        "the project of team {team} gets {got} of {wanted} reviews: only "
                        "{eligible} of {judges} judges have no conflict with the team",
                        team=_team_label(project),
                        got=len(ids),
                        wanted=k,
                        eligible=len(eligible[p]),
                        judges=len(jlist),
                    ),
                )
            )
    return Assignment(
        k=k,
        reviews=MappingProxyType(reviews),
        loads=MappingProxyType(loads),
        added=tuple(sorted(added)),
        shortfalls=tuple(shortfalls),
        dropped=tuple(dropped),
    )


def _balance(needs: list[int], options: list[list[int]], base: list[int]) -> list[list[int]]:
    """For each project, `needs[p]` judges among `options[p]`, minimising Σ (base + new)².

    Min-cost flow, source -> project (capacity need) -> judge (capacity 1) -> sink, where the
    judge -> sink arc costs the marginal square 2·load + 1 of the judge's current load: one
    arc whose cost follows its flow stands for the parallel unit arcs 2·base+1, 2·base+3, ...
    of the textbook model, of which a shortest path only ever uses the cheapest unused one
    (forward) or the dearest used one (backward). Every need can be met (options[p] has at
    least needs[p] judges), so the flow reaches Σ needs, one unit per augmentation.
    """
    n_projects, n_judges = len(needs), len(base)
    source, sink = 0, 1 + n_projects + n_judges
    size = sink + 1

    def judge_node(j: int) -> int:
        return 1 + n_projects + j

    to: list[int] = []
    cap: list[int] = []
    cost: list[int] = []
    adjacent: list[list[int]] = [[] for _ in range(size)]

    def arc(u: int, v: int, capacity: int, price: int) -> int:
        edge = len(to)
        to.extend((v, u))
        cap.extend((capacity, 0))
        cost.extend((price, -price))
        adjacent[u].append(edge)
        adjacent[v].append(edge + 1)
        return edge

    total = sum(needs)
    pair_arc: dict[tuple[int, int], int] = {}
    for p in range(n_projects):
        if needs[p] == 0:
            continue
        arc(source, 1 + p, needs[p], 0)
        for j in options[p]:
            pair_arc[(p, j)] = arc(1 + p, judge_node(j), 1, 0)
    flow = [0] * n_judges
    sink_arc = [arc(judge_node(j), sink, total, 2 * base[j] + 1) for j in range(n_judges)]

    def reprice(j: int) -> None:
        load = base[j] + flow[j]
        edge = sink_arc[j]
        cost[edge] = 2 * load + 1
        cost[edge + 1] = -(2 * load - 1)  # undoing the last unit saves its marginal square

    potential = [0] * size
    unreached = 1 << 62
    for _ in range(total):
        dist = [unreached] * size
        via = [-1] * size
        dist[source] = 0
        heap = [(0, source)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for edge in adjacent[u]:
                if cap[edge] <= 0:
                    continue
                v = to[edge]
                nd = d + cost[edge] + potential[u] - potential[v]
                if nd < dist[v]:
                    dist[v] = nd
                    via[v] = edge
                    heapq.heappush(heap, (nd, v))
        if dist[sink] == unreached:  # cannot happen (see above); stop rather than loop
            break
        for v in range(size):
            if dist[v] < unreached:
                potential[v] += dist[v]
        v = sink
        while v != source:
            edge = via[v]
            cap[edge] -= 1
            cap[edge ^ 1] += 1
            v = to[edge ^ 1]
        last_judge = to[via[sink] ^ 1] - 1 - n_projects
        flow[last_judge] += 1
        reprice(last_judge)

    return [
        sorted(j for j in options[p] if (p, j) in pair_arc and cap[pair_arc[(p, j)]] == 0)
        for p in range(n_projects)
    ]
