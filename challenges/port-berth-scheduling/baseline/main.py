"""Baseline for "Port berth scheduling": first come, first served. Standard library only.

Each ship, in order of its ETA, goes to the berth where it can start soonest (among the berths
long and deep enough); a tie goes to the berth that finishes it first. No ship is ever held back
for a later, more urgent one, and the plan leaves no slack for late ships: that is where a
better plan gains time.

Reads $MAREA_INPUT_DIR/ships.csv and berths.csv, writes $MAREA_OUTPUT_DIR/predictions.csv.
"""

import csv
import os
from pathlib import Path

UKC_M = 1.0
MOVES_PER_CRANE_HOUR = 25.0
CHANGEOVER_H = 1.0



def locate(folder, name):
    """`folder/name`, or the same file one level down (the platform may keep bundle sub-folders)."""
    direct = folder / name
    if direct.exists():
        return direct
    nested = sorted(folder.glob(f"*/{name}"))
    return nested[0] if nested else direct


inputs = Path(os.environ.get("MAREA_INPUT_DIR", "."))
output = Path(os.environ.get("MAREA_OUTPUT_DIR", "."))
ships = list(csv.DictReader(locate(inputs, "ships.csv").open()))
berths = list(csv.DictReader(locate(inputs, "berths.csv").open()))

plan = []
for scenario in dict.fromkeys(s["scenario"] for s in ships):
    free_at = {b["berth_id"]: None for b in berths}  # when the last ship leaves each berth
    week = sorted((s for s in ships if s["scenario"] == scenario),
                  key=lambda s: float(s["eta_h"]))
    for ship in week:
        best = None
        for berth in berths:
            if int(ship["length_m"]) > int(berth["length_m"]):
                continue
            if float(ship["draught_m"]) + UKC_M > float(berth["depth_m"]):
                continue
            last = free_at[berth["berth_id"]]
            start = float(ship["eta_h"]) if last is None else max(
                float(ship["eta_h"]), last + CHANGEOVER_H)
            end = start + int(ship["moves"]) / (int(berth["cranes"]) * MOVES_PER_CRANE_HOUR)
            if best is None or (start, end) < (best[0], best[1]):
                best = (start, end, berth["berth_id"])
        start, end, berth_id = best
        free_at[berth_id] = end
        plan.append([scenario, ship["ship_id"], berth_id, f"{start:.4f}"])

output.mkdir(parents=True, exist_ok=True)
with (output / "predictions.csv").open("w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["scenario", "ship_id", "berth_id", "start_h"])
    writer.writerows(plan)
print(f"planned {len(plan)} ships")
