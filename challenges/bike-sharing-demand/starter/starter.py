"""Starter for "Bike-sharing demand": hour-of-day profiles scaled by the weather.

Standard library only.

Run it next to the data folder:   python3 starter.py [path/to/data]
It writes predictions.csv (id,bikers). Ideas to go further: gradient boosting on all columns,
separate models for casual users and members, a log transform of the counts.
"""

import csv
import sys
from collections import defaultdict
from pathlib import Path

data = Path(sys.argv[1] if len(sys.argv) > 1 else "data")
train = list(csv.DictReader((data / "train.csv").open()))
test = list(csv.DictReader((data / "test.csv").open()))


def mean_by(rows, key):
    sums = defaultdict(lambda: [0.0, 0])
    for row in rows:
        cell = sums[key(row)]
        cell[0] += float(row["bikers"])
        cell[1] += 1
    return {k: total / count for k, (total, count) in sums.items()}


# 1. The profile of a day: mean rentals per (working day?, hour).
profile = mean_by(train, lambda r: (r["workingday"], r["hour"]))
# 2. How much each kind of weather and each 5 °C band moves demand, relative to the profile.
ratio_rows = [dict(r, bikers=float(r["bikers"]) / max(profile[(r["workingday"], r["hour"])], 1.0))
              for r in train]
weather_factor = mean_by(ratio_rows, lambda r: r["weather"])
temp_factor = mean_by(ratio_rows, lambda r: int(float(r["temp_c"]) // 5))

with open("predictions.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "bikers"])
    for row in test:
        value = profile[(row["workingday"], row["hour"])]
        value *= weather_factor.get(row["weather"], 1.0)
        value *= temp_factor.get(int(float(row["temp_c"]) // 5), 1.0)
        writer.writerow([row["id"], f"{value:.1f}"])
print(f"wrote predictions.csv ({len(test)} rows)")
