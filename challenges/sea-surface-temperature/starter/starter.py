"""Starter for "Sea surface temperature": the baseline (climatology), standard library only.

Run it in the unzipped kit, where `data/` is:   python3 starter.py [path/to/data]
It writes predictions.csv (id,sst), which you can upload as it is: each test month gets that
calendar month's 1950-2000 average, exactly the baseline the challenge pages describe.

Before spending a submission on an idea, check it on the last training decade: the script also
fits the same model on 1950-1990 and prints its RMSE on 1991-2000. Ideas: model the El Niño
cycle, use the last months' anomaly, a seasonal ARIMA ... A straight line through the anomalies
extrapolated over ten years is risky: measure it before trusting it.
"""

import csv
import math
import sys
from pathlib import Path

data = Path(sys.argv[1] if len(sys.argv) > 1 else "data")
with (data / "train.csv").open(newline="") as handle:
    train = list(csv.DictReader(handle))
with (data / "test.csv").open(newline="") as handle:
    test = list(csv.DictReader(handle))


def climatology(rows):
    """The mean temperature of each calendar month (1-12) over `rows`."""
    by_month = {}
    for row in rows:
        by_month.setdefault(int(row["month"]), []).append(float(row["sst"]))
    return {month: sum(values) / len(values) for month, values in by_month.items()}


# 1. Validation: fit on 1950-1990, measure on 1991-2000 (a decade, like the test).
fit = [r for r in train if int(r["year"]) <= 1990]
held_out = [r for r in train if int(r["year"]) > 1990]
model = climatology(fit)
errors = [model[int(r["month"])] - float(r["sst"]) for r in held_out]
rmse = math.sqrt(sum(e * e for e in errors) / len(errors))

# 2. The submission: the same model fitted on every training month.
model = climatology(train)
with open("predictions.csv", "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "sst"])
    for row in test:
        writer.writerow([row["id"], f"{model[int(row['month'])]:.3f}"])
print(f"wrote predictions.csv ({len(test)} rows); RMSE on 1991-2000 when fitted on 1950-1990: "
      f"{rmse:.3f} °C")
