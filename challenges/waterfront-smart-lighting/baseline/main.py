"""Baseline for "Waterfront smart lighting": the classic fixed "virtual midnight" schedule.

Full power from dusk to midnight, 50 % from midnight to dawn, on every segment, whatever the
forecast says. Many Italian towns dim like this today; it is safe on a quiet night and wasteful
on all of them. Standard library only.

Reads $MAREA_INPUT_DIR/pedestrians.csv, writes $MAREA_OUTPUT_DIR/predictions.csv.
"""

import csv
import os
from pathlib import Path


def locate(folder, name):
    """`folder/name`, or the same file one level down (the platform may keep bundle sub-folders)."""
    direct = folder / name
    if direct.exists():
        return direct
    nested = sorted(folder.glob(f"*/{name}"))
    return nested[0] if nested else direct


inputs = Path(os.environ.get("MAREA_INPUT_DIR", "."))
output = Path(os.environ.get("MAREA_OUTPUT_DIR", "."))
output.mkdir(parents=True, exist_ok=True)

with locate(inputs, "pedestrians.csv").open() as source, \
        (output / "predictions.csv").open("w", newline="") as target:
    writer = csv.writer(target)
    writer.writerow(["night", "segment", "slot", "level"])
    rows = 0
    for row in csv.DictReader(source):
        before_midnight = row["time"] >= "12:00"  # evening slots; after midnight times are < 12:00
        writer.writerow([row["night"], row["segment"], row["slot"],
                         "1.0" if before_midnight else "0.5"])
        rows += 1
print(f"wrote {rows} levels")
