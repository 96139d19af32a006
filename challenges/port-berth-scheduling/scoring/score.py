"""Scoring program of "Port berth scheduling": replays a berth plan and measures ships' waiting.

Why a simulation and not a metric: a plan is only worth its waiting time if it is physically
possible, so the program first checks every rule of the quay against the announced arrivals
(each ship served once, at a berth long and deep enough, never before its ETA, never overlapping
another ship plus the changeover). Then it runs the plan as the terminal would, with the ships'
real arrivals: each berth serves its ships in the planned order, a ship starts at its planned
time or, if it or the berth is late, as soon as both are ready; and it adds up the hours ships
spent at anchor between arriving and starting.

Contract (the platform's scoring container):
  $MAREA_PREDICTIONS_FILE  the plan the submission wrote (CSV: scenario,ship_id,berth_id,start_h)
  $MAREA_REFERENCE_DIR     ships.csv (with eta_h and the real arrival_h), scenarios.csv
                           (scenario -> public/private); berths.csv is next to this program
  $MAREA_SCORES_FILE       where the answer goes, as JSON, in the shape the platform reads:
      {"public": {"waiting_h": ..., "max_wait_h": ...}, "private": {...}}   a valid plan
      {"invalid": "what is wrong, for the team", "line": 12}               a plan that breaks a rule
      {"scoring_error": "what is wrong, for the organisers"}                reference data unusable
A plan that breaks a rule is the team's to fix, so it is reported as "invalid" (exit status 0);
a crash of this program is a scoring error the platform reports to the organisers.

Local use (participants have this file in the starter kit):
  python3 score.py plan.csv [folder with ships.csv and berths.csv, default: data]
  (the practice weeks' ships.csv has both eta_h and arrival_h; without a scenarios.csv there,
  every week counts as public)
Standard library only.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections import defaultdict
from pathlib import Path

UKC_M = 1.0  # under-keel clearance a ship needs below its draught
MOVES_PER_CRANE_HOUR = 25.0
CHANGEOVER_H = 1.0  # unmooring one ship and mooring the next at the same berth
EPS = 1e-3  # hours (3.6 s): plans written with a few decimals must not fail on rounding
COLUMNS = ("scenario", "ship_id", "berth_id", "start_h")
SHIP_COLUMNS = ("scenario", "ship_id", "eta_h", "arrival_h", "length_m", "draught_m", "moves")


class InvalidPlan(Exception):
    """The submitted plan breaks a rule; the message tells the team which and where."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class ReferenceProblem(Exception):
    """The organisers' files are unusable; the team is not to blame."""


def locate(folder: Path, name: str) -> Path:
    """`folder/name`, or the same file one level down (the platform may keep bundle sub-folders)."""
    direct = folder / name
    if direct.exists():
        return direct
    nested = sorted(folder.glob(f"*/{name}"))
    return nested[0] if nested else direct


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def handling_hours(moves: int, cranes: int) -> float:
    return moves / (cranes * MOVES_PER_CRANE_HOUR)


def read_plan(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InvalidPlan(f"no {path.name} was written")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidPlan(f"{path.name}: missing column(s) {', '.join(missing)}; "
                                  f"expected {','.join(COLUMNS)}")
            return list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise InvalidPlan(f"{path.name} is not a readable UTF-8 CSV file: {error}") from None


def check_plan(plan: list[dict[str, str]], ships: list[dict[str, str]],
               berths: list[dict[str, str]]) -> list[tuple[str, str, float, float]]:
    """Check the plan against the quay's rules and the ETAs; return (ship, berth, start, hours)."""
    ship_by_id = {s["ship_id"]: s for s in ships}
    berth_by_id = {b["berth_id"]: b for b in berths}
    calls: list[tuple[str, str, float, float]] = []
    planned: set[str] = set()
    on_berth: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)
    for line, row in enumerate(plan, start=2):
        where = f"line {line}"
        ship = ship_by_id.get(row["ship_id"])
        if ship is None:
            raise InvalidPlan(f"{where}: unknown ship_id {row['ship_id']!r}", line)
        if row["scenario"] != ship["scenario"]:
            raise InvalidPlan(f"{where}: ship {row['ship_id']} belongs to scenario "
                              f"{ship['scenario']}, not {row['scenario']!r}", line)
        if row["ship_id"] in planned:
            raise InvalidPlan(f"{where}: ship {row['ship_id']} is planned twice", line)
        berth = berth_by_id.get(row["berth_id"])
        if berth is None:
            raise InvalidPlan(f"{where}: unknown berth_id {row['berth_id']!r}", line)
        try:
            start = float(row["start_h"])
        except (TypeError, ValueError):
            raise InvalidPlan(f"{where}: start_h {row['start_h']!r} is not a number",
                              line) from None
        if not math.isfinite(start):
            raise InvalidPlan(f"{where}: start_h must be a finite number", line)
        eta = float(ship["eta_h"])
        if start < eta - EPS:
            raise InvalidPlan(f"{where}: ship {row['ship_id']} starts at {start} h, "
                              f"before it arrives (ETA {eta} h)", line)
        if int(ship["length_m"]) > int(berth["length_m"]):
            raise InvalidPlan(f"{where}: ship {row['ship_id']} ({ship['length_m']} m) is longer "
                              f"than berth {row['berth_id']} ({berth['length_m']} m)", line)
        if float(ship["draught_m"]) + UKC_M > float(berth["depth_m"]) + EPS:
            raise InvalidPlan(f"{where}: ship {row['ship_id']} (draught {ship['draught_m']} m) "
                              f"needs {UKC_M} m under the keel; berth {row['berth_id']} is "
                              f"{berth['depth_m']} m deep", line)
        hours = handling_hours(int(ship["moves"]), int(berth["cranes"]))
        on_berth[(ship["scenario"], row["berth_id"])].append((start, start + hours,
                                                              row["ship_id"]))
        planned.add(row["ship_id"])
        calls.append((row["ship_id"], row["berth_id"], start, hours))
    unplanned = [s["ship_id"] for s in ships if s["ship_id"] not in planned]
    if unplanned:
        shown = ", ".join(unplanned[:5]) + (" ..." if len(unplanned) > 5 else "")
        raise InvalidPlan(f"{len(unplanned)} ship(s) have no berth: {shown}")
    for (scenario, berth_id), booked in on_berth.items():
        booked.sort()
        for (_, end, first), (start, _, second) in zip(booked, booked[1:]):
            if start < end + CHANGEOVER_H - EPS:
                raise InvalidPlan(
                    f"{scenario}, berth {berth_id}: {second} starts at {start:.2f} h but "
                    f"{first} leaves at {end:.2f} h and the berth needs {CHANGEOVER_H} h "
                    "to change over")
    return calls


def replay(plan: list[dict[str, str]], ships: list[dict[str, str]],
           berths: list[dict[str, str]]) -> dict[str, float]:
    """Run a valid plan with the real arrivals; return each ship's waiting hours."""
    ship_by_id = {s["ship_id"]: s for s in ships}
    by_berth: dict[tuple[str, str], list[tuple[float, str, float]]] = defaultdict(list)
    for ship_id, berth_id, start, hours in check_plan(plan, ships, berths):
        by_berth[(ship_by_id[ship_id]["scenario"], berth_id)].append((start, ship_id, hours))
    waits: dict[str, float] = {}
    for calls in by_berth.values():
        free_at: float | None = None  # when the berth is ready for the next ship
        for planned_start, ship_id, hours in sorted(calls):
            arrival = float(ship_by_id[ship_id]["arrival_h"])
            start = max(planned_start, arrival, free_at if free_at is not None else arrival)
            free_at = start + hours + CHANGEOVER_H
            waits[ship_id] = start - arrival
    return waits


def read_reference(reference: Path, local: bool) -> tuple[list[dict[str, str]],
                                                         list[dict[str, str]], dict[str, str]]:
    try:
        ships = read_csv(locate(reference, "ships.csv"))
        berths_file = locate(reference, "berths.csv")
        if not berths_file.exists():  # the platform: the berths travel with this program
            berths_file = Path(__file__).resolve().parent / "berths.csv"
        berths = read_csv(berths_file)
        if local and not locate(reference, "scenarios.csv").exists():  # practice weeks: all public
            splits = {s["scenario"]: "public" for s in ships}
        else:
            splits = {r["scenario"]: r["split"]
                      for r in read_csv(locate(reference, "scenarios.csv"))}
    except (OSError, KeyError, csv.Error) as error:
        raise ReferenceProblem(f"cannot read the reference data in {reference}: {error}") from None
    if not set(splits.values()) <= {"public", "private"}:
        raise ReferenceProblem("scenarios.csv: split must be public or private")
    missing = [c for c in SHIP_COLUMNS if ships and c not in ships[0]]
    if missing:
        raise ReferenceProblem(f"ships.csv has no column {', '.join(missing)}")
    return [s for s in ships if s["scenario"] in splits], berths, splits


def score(plan_path: Path, reference: Path, local: bool = False) -> dict[str, object]:
    """The answer object for one plan (see the module's docstring)."""
    try:
        ships, berths, splits = read_reference(reference, local)
    except ReferenceProblem as problem:
        return {"scoring_error": str(problem)}
    try:
        waits = replay(read_plan(plan_path), ships, berths)
    except InvalidPlan as problem:
        answer: dict[str, object] = {"invalid": problem.message}
        if problem.line is not None:
            answer["line"] = problem.line
        return answer
    result: dict[str, object] = {}
    for split in ("public", "private"):
        chosen = [waits[s["ship_id"]] for s in ships if splits[s["scenario"]] == split]
        if chosen:
            result[split] = {"waiting_h": round(sum(chosen), 6),
                             "max_wait_h": round(max(chosen), 6)}
    return result


def main(argv: list[str]) -> int:
    if len(argv) > 1:  # local use
        plan_path = Path(argv[1])
        reference = Path(argv[2]) if len(argv) > 2 else Path("data")
        scores_path = None
    else:
        plan_path = Path(os.environ["MAREA_PREDICTIONS_FILE"])
        reference = Path(os.environ["MAREA_REFERENCE_DIR"])
        scores_path = Path(os.environ["MAREA_SCORES_FILE"])
    result = score(plan_path, reference, local=scores_path is None)
    if scores_path is None:
        print(json.dumps(result, indent=2))
    else:
        scores_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
