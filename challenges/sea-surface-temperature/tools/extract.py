"""Build this bundle's CSVs from the El Niño series that statsmodels ships inside its wheel.

Why a script: the data is real (NOAA, public domain) and nobody should have to trust a hand-made
CSV. Anyone can redo it offline from the wheel and get byte-identical files:

    pip download --no-deps statsmodels==0.15.0 -d /tmp/w
    python3 tools/extract.py /tmp/w/statsmodels-0.15.0-*.whl

With no argument the script reads the file from an installed statsmodels instead.
Only the standard library is used. The public/private split of the test months is a fixed,
seeded shuffle, so it never changes between runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import sys
import zipfile
from pathlib import Path

MEMBER = "statsmodels/datasets/elnino/elnino.csv"
# sha256 of elnino.csv in statsmodels 0.15.0; a different file means the source changed.
EXPECTED_SHA256 = "b647be00e0fd264be9764e317e6b963f35030014ecca2b21b204521716e463ad"
FIRST_TEST_YEAR = 2001
SEED = 20261122
PUBLIC_SHARE = 0.5
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
BUNDLE = Path(__file__).resolve().parent.parent


def read_source(argv: list[str]) -> bytes:
    if len(argv) > 1:
        with zipfile.ZipFile(argv[1]) as wheel:
            return wheel.read(MEMBER)
    import importlib.resources

    return (importlib.resources.files("statsmodels.datasets.elnino") / "elnino.csv").read_bytes()


def long_rows(raw: bytes) -> list[tuple[int, int, float]]:
    """The wheel stores one row per year with twelve month columns; we want one row per month."""
    rows = []
    for record in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        year = int(float(record["YEAR"]))
        for month_index, name in enumerate(MONTHS, start=1):
            rows.append((year, month_index, float(record[name])))
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    raw = read_source(argv)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != EXPECTED_SHA256:
        print(f"warning: elnino.csv has sha256 {digest}, expected {EXPECTED_SHA256}")
    rows = long_rows(raw)
    train = [r for r in rows if r[0] < FIRST_TEST_YEAR]
    test = [r for r in rows if r[0] >= FIRST_TEST_YEAR]

    def ident(year: int, month: int) -> str:
        return f"{year}-{month:02d}"

    order = list(range(len(test)))
    random.Random(SEED).shuffle(order)
    public = set(order[: round(len(test) * PUBLIC_SHARE)])

    write_csv(
        BUNDLE / "data/train.csv",
        ["id", "year", "month", "sst"],
        [[ident(y, m), y, m, f"{v:.3f}"] for y, m, v in train],
    )
    write_csv(
        BUNDLE / "data/test.csv", ["id", "year", "month"], [[ident(y, m), y, m] for y, m, _ in test]
    )
    write_csv(
        BUNDLE / "reference/answers.csv",
        ["id", "sst", "split"],
        [
            [ident(y, m), f"{v:.3f}", "public" if i in public else "private"]
            for i, (y, m, v) in enumerate(test)
        ],
    )
    # Baseline: the 1950-2000 average of each calendar month ("climatology").
    climatology = {
        m: sum(v for _, mm, v in train if mm == m) / sum(1 for _, mm, _ in train if mm == m)
        for m in range(1, 13)
    }
    write_csv(
        BUNDLE / "baseline/predictions.csv",
        ["id", "sst"],
        [[ident(y, m), f"{climatology[m]:.3f}"] for y, m, _ in test],
    )
    print(f"train {len(train)} months, test {len(test)} months ({len(public)} public)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
