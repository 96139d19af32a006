"""Build this bundle's CSVs from the hourly bike-sharing table that the ISLP package ships.

Why a script: the data is real (Capital Bikeshare, Washington D.C., 2011, via the UCI Machine
Learning Repository, CC BY 4.0) and anyone should be able to rebuild the files offline:

    pip download --no-deps ISLP==0.6.0 -d /tmp/w
    python3 tools/extract.py /tmp/w/islp-0.6.0-py3-none-any.whl

What it does: turns day-of-year into a date, puts the weather back into physical units (UCI stores
them divided by their maxima), keeps days 1-19 of each month for training and days 20-end for the
test (the split Kaggle used for the same data), drops the answer columns (casual, registered,
bikers) from the test, and splits the test *days* into public and private with a seeded shuffle,
so hours of one day never sit on both boards. Standard library only.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

MEMBER = "ISLP/data/Bikeshare.csv"
EXPECTED_SHA256 = "ac6950ae6f11efcc69c29d6bb13e8881c001e27d36434660d59444a1414f712c"
YEAR = 2011
FIRST_TEST_DAY = 20
SEED = 20261122
PUBLIC_SHARE = 0.5
BUNDLE = Path(__file__).resolve().parent.parent
FEATURES = [
    "id", "date", "hour", "weekday", "workingday", "holiday", "weather",
    "temp_c", "feels_like_c", "humidity_pct", "wind_kmh",
]


def read_source(argv: list[str]) -> bytes:
    if len(argv) > 1:
        with zipfile.ZipFile(argv[1]) as wheel:
            return wheel.read(MEMBER)
    import importlib.resources

    return (importlib.resources.files("ISLP") / "data" / "Bikeshare.csv").read_bytes()


def convert(record: dict[str, str]) -> dict[str, str]:
    day = dt.date(YEAR, 1, 1) + dt.timedelta(days=int(record["day"]) - 1)
    hour = int(record["hr"])
    return {
        "id": f"{day.isoformat()}T{hour:02d}",
        "date": day.isoformat(),
        "hour": str(hour),
        "weekday": record["weekday"],  # 0 = Sunday, as in the UCI table
        "workingday": record["workingday"],
        "holiday": record["holiday"],
        "weather": record["weathersit"],
        # UCI normalisation: temp / 41, atemp / 50, hum / 100, windspeed / 67.
        "temp_c": f"{float(record['temp']) * 41:.1f}",
        "feels_like_c": f"{float(record['atemp']) * 50:.1f}",
        "humidity_pct": f"{float(record['hum']) * 100:.0f}",
        "wind_kmh": f"{float(record['windspeed']) * 67:.1f}",
        "casual": record["casual"],
        "registered": record["registered"],
        "bikers": record["bikers"],
    }


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    raw = read_source(argv)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != EXPECTED_SHA256:
        print(f"warning: Bikeshare.csv has sha256 {digest}, expected {EXPECTED_SHA256}")
    rows = [convert(r) for r in csv.DictReader(io.StringIO(raw.decode("utf-8")))]
    train = [r for r in rows if int(r["date"][8:10]) < FIRST_TEST_DAY]
    test = [r for r in rows if int(r["date"][8:10]) >= FIRST_TEST_DAY]

    days = sorted({r["date"] for r in test})
    random.Random(SEED).shuffle(days)
    public_days = set(days[: round(len(days) * PUBLIC_SHARE)])
    for r in test:
        r["split"] = "public" if r["date"] in public_days else "private"

    write_csv(BUNDLE / "data/train.csv", [*FEATURES, "casual", "registered", "bikers"], train)
    write_csv(BUNDLE / "data/test.csv", FEATURES, test)
    write_csv(BUNDLE / "reference/answers.csv", ["id", "bikers", "split"], test)

    # Baseline: the training mean for the same hour of day on the same kind of day.
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in train:
        cell = sums[(r["workingday"], r["hour"])]
        cell[0] += int(r["bikers"])
        cell[1] += 1
    means = {key: total / count for key, (total, count) in sums.items()}
    baseline = [
        {"id": r["id"], "bikers": f"{means[(r['workingday'], r['hour'])]:.1f}"} for r in test
    ]
    write_csv(BUNDLE / "baseline/predictions.csv", ["id", "bikers"], baseline)
    print(f"train {len(train)} hours, test {len(test)} hours on {len(days)} days "
          f"({len(public_days)} public)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
