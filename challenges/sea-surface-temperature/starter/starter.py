"""Starter for "Sea surface temperature": climatology plus a linear trend, standard library only.

Run it next to the data folder:   python3 starter.py [path/to/data]
It writes predictions.csv (id,sst) that you can upload as it is. Improve it: model the El Niño
cycle, use the last months' anomaly, try seasonal ARIMA ...
"""

import csv
import sys
from pathlib import Path

data = Path(sys.argv[1] if len(sys.argv) > 1 else "data")
train = list(csv.DictReader((data / "train.csv").open()))
test = list(csv.DictReader((data / "test.csv").open()))

# 1. Climatology: the mean temperature of each calendar month.
by_month: dict[int, list[float]] = {}
for row in train:
    by_month.setdefault(int(row["month"]), []).append(float(row["sst"]))
climatology = {m: sum(v) / len(v) for m, v in by_month.items()}

# 2. A linear trend of the anomalies (value minus climatology) against time, by least squares.
t = [int(r["year"]) + (int(r["month"]) - 1) / 12 for r in train]
anomaly = [float(r["sst"]) - climatology[int(r["month"])] for r in train]
t_mean, a_mean = sum(t) / len(t), sum(anomaly) / len(anomaly)
slope = sum((x - t_mean) * (y - a_mean) for x, y in zip(t, anomaly)) / sum(
    (x - t_mean) ** 2 for x in t
)

with open("predictions.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "sst"])
    for row in test:
        when = int(row["year"]) + (int(row["month"]) - 1) / 12
        value = climatology[int(row["month"])] + a_mean + slope * (when - t_mean)
        writer.writerow([row["id"], f"{value:.3f}"])
print(f"wrote predictions.csv ({len(test)} rows); trend {slope * 10:+.3f} °C per decade")
