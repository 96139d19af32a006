"""Scoring program of "Waterfront smart lighting": replays a dimming plan against real footfall.

Why a simulation: a dimming plan saves energy only if it still lights the people who actually
walked by. The program turns each dimming level into watts and lux, looks up how many pedestrians
really passed each segment in each quarter hour (hidden until now), and counts the passages that
found the path darker than the EN 13201 class their number requires.

Physics (also on the challenge's data page):
  energy  = poles * watt_per_pole * level * 0.25 h          (LED power ~ proportional to level)
  lux     = lux_full * level                                 (average maintained illuminance)
  needed  = 2 lx (nobody, class P6), 5 lx (1-9 people, P4), 7.5 lx (10-29, P3), 10 lx (30+, P2)
  cost    = 0.25 EUR per kWh + 0.05 EUR per pedestrian passage under the needed lux
Levels must lie in [0.1, 1.0]: LED drivers do not dim below 10 %, and lights may not be off.

Contract (the platform's scoring container):
  $MAREA_PREDICTIONS_FILE  the plan the submission wrote (CSV: night,segment,slot,level)
  $MAREA_REFERENCE_DIR     nights.csv (with split), pedestrians.csv (real counts);
                           segments.csv is next to this program
  $MAREA_SCORES_FILE       where the answer goes, as JSON, in the shape the platform reads:
      {"public": {"cost_eur": ..., "energy_kwh": ..., "underlit_passages": ...}, "private": {...}}
      {"invalid": "what is wrong, for the team", "line": 12}     a plan that breaks a rule
      {"scoring_error": "what is wrong, for the organisers"}      reference data unusable
A wrong plan is the team's to fix, so it is reported as "invalid" (exit status 0); a crash of
this program is a scoring error the platform reports to the organisers.

Local use (participants have this file in the starter kit):
  python3 score.py plan.csv [folder with segments.csv, nights.csv, pedestrians.csv; default data]
  (without a split column in nights.csv, every night counts as public)
Standard library only.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from pathlib import Path

SLOT_H = 0.25
PRICE_EUR_PER_KWH = 0.25
PENALTY_EUR_PER_PASSAGE = 0.05
MIN_LEVEL, MAX_LEVEL = 0.1, 1.0
LUX_CLASSES = ((30, 10.0), (10, 7.5), (1, 5.0), (0, 2.0))  # (from n pedestrians, lux needed)
TOLERANCE = 1e-9
COLUMNS = ("night", "segment", "slot", "level")


class InvalidPlan(Exception):
    """The submitted plan breaks a rule; the message tells the team which and where."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class ReferenceProblem(Exception):
    """The organisers' files are unusable; the team is not to blame."""


def needed_lux(pedestrians: int) -> float:
    return next(lux for threshold, lux in LUX_CLASSES if pedestrians >= threshold)


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


def read_plan(path: Path) -> dict[tuple[str, str, str], float]:
    if not path.is_file():
        raise InvalidPlan(f"no {path.name} was written")
    plan: dict[tuple[str, str, str], float] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidPlan(f"{path.name}: missing column(s) {', '.join(missing)}; "
                                  f"expected {','.join(COLUMNS)}")
            for line, row in enumerate(reader, start=2):
                key = (str(row["night"]).strip(), str(row["segment"]).strip(),
                       str(row["slot"]).strip())
                if key in plan:
                    raise InvalidPlan(f"line {line}: night {key[0]}, segment {key[1]}, slot "
                                      f"{key[2]} appears twice", line)
                try:
                    level = float(row["level"])
                except (TypeError, ValueError):
                    raise InvalidPlan(f"line {line}: level {row['level']!r} is not a number",
                                      line) from None
                if not (math.isfinite(level)
                        and MIN_LEVEL - TOLERANCE <= level <= MAX_LEVEL + TOLERANCE):
                    raise InvalidPlan(f"line {line}: level {level} is outside "
                                      f"[{MIN_LEVEL}, {MAX_LEVEL}]", line)
                plan[key] = level
    except (UnicodeDecodeError, csv.Error) as error:
        raise InvalidPlan(f"{path.name} is not a readable UTF-8 CSV file: {error}") from None
    return plan


def read_reference(reference: Path, local: bool) -> tuple[dict[str, dict[str, str]],
                                                         dict[str, str], list[dict[str, str]]]:
    try:
        segments_file = locate(reference, "segments.csv")
        if not segments_file.exists():  # the platform: the segments travel with this program
            segments_file = Path(__file__).resolve().parent / "segments.csv"
        segments = {s["segment"]: s for s in read_csv(segments_file)}
        nights = read_csv(locate(reference, "nights.csv"))
        if local and nights and "split" not in nights[0]:
            splits = {n["night"]: "public" for n in nights}
        else:
            splits = {n["night"]: n["split"] for n in nights}
        counts = read_csv(locate(reference, "pedestrians.csv"))
    except (OSError, KeyError, csv.Error) as error:
        raise ReferenceProblem(f"cannot read the reference data in {reference}: {error}") from None
    if not set(splits.values()) <= {"public", "private"}:
        raise ReferenceProblem("nights.csv: split must be public or private")
    return segments, splits, [c for c in counts if c["night"] in splits]


def replay(plan: dict[tuple[str, str, str], float], segments: dict[str, dict[str, str]],
           splits: dict[str, str], counts: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """Energy, under-lit passages and cost per part of the test set; every slot needs a level."""
    totals = {split: {"energy_kwh": 0.0, "underlit_passages": 0.0}
              for split in set(splits.values())}
    expected = set()
    for row in counts:
        key = (row["night"], row["segment"], row["slot"])
        expected.add(key)
        level = plan.get(key)
        if level is None:
            raise InvalidPlan(f"no level for night {key[0]}, segment {key[1]}, slot {key[2]} "
                              "(the plan needs one row per night, segment and slot)")
        segment = segments[row["segment"]]
        watts = int(segment["poles"]) * float(segment["watt_per_pole"]) * level
        total = totals[splits[row["night"]]]
        total["energy_kwh"] += watts * SLOT_H / 1000
        pedestrians = int(row["pedestrians"])
        if pedestrians > 0 and float(segment["lux_full"]) * level < needed_lux(pedestrians) - 1e-9:
            total["underlit_passages"] += pedestrians
    extra = sorted(set(plan) - expected)
    if extra:
        night, segment, slot = extra[0]
        raise InvalidPlan(f"{len(extra)} row(s) name no lit slot, e.g. night {night}, segment "
                          f"{segment}, slot {slot}")
    result = {}
    for split, total in totals.items():
        cost = (PRICE_EUR_PER_KWH * total["energy_kwh"]
                + PENALTY_EUR_PER_PASSAGE * total["underlit_passages"])
        result[split] = {"cost_eur": round(cost, 6), "energy_kwh": round(total["energy_kwh"], 6),
                         "underlit_passages": int(total["underlit_passages"])}
    return result


def score(plan_path: Path, reference: Path, local: bool = False) -> dict[str, object]:
    """The answer object for one plan (see the module's docstring)."""
    try:
        segments, splits, counts = read_reference(reference, local)
    except ReferenceProblem as problem:
        return {"scoring_error": str(problem)}
    try:
        return dict(replay(read_plan(plan_path), segments, splits, counts))
    except InvalidPlan as problem:
        answer: dict[str, object] = {"invalid": problem.message}
        if problem.line is not None:
            answer["line"] = problem.line
        return answer


def main(argv: list[str]) -> int:
    if len(argv) > 1:  # local use
        plan_path = Path(argv[1])
        reference = Path(argv[2]) if len(argv) > 2 else Path("data")
        result = score(plan_path, reference, local=True)
        print(json.dumps(result, indent=2))
        return 0
    result = score(Path(os.environ["MAREA_PREDICTIONS_FILE"]),
                   Path(os.environ["MAREA_REFERENCE_DIR"]))
    Path(os.environ["MAREA_SCORES_FILE"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
