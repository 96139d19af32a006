"""Generate the weeks of ship arrivals for "Port berth scheduling". Seeded, standard library only.

Why generated: real berth-by-berth call data of a port are not public. The generator keeps the
physics of a container terminal like La Spezia's instead:

* Ships arrive as a Poisson process, denser by day (pilots board 06-22): the rate is
  `BASE_RATE * (1 + 0.5 * sin(2*pi*(h - 8)/24))` ships per hour, sampled by thinning.
* Each ship belongs to a class (feeder, panamax, post-panamax) with class-typical length,
  draught and number of container moves (each uniform within the class's range).
* Berths have a length, a water depth and a number of quay cranes. A ship fits a berth when
  `length <= berth length` and `draught + UKC <= depth` (UKC = under-keel clearance, 1.0 m).
* Handling time is `moves / (cranes * MOVES_PER_CRANE_HOUR)`; berths with more cranes work faster.
* Between two ships on the same berth the quay needs `CHANGEOVER_H` hours (unmooring, mooring).

Writes: data/ (berths + 3 practice weeks, public), inputs/ (berths + the 12 judged weeks, which
code submissions read), reference/ (the same weeks, plus which are public or private), and
copies the scoring program and the baseline into the starter kit so that they never drift apart.
Run: python3 tools/generate.py
"""

from __future__ import annotations

import csv
import math
import random
import shutil
from pathlib import Path

SEED = 20261122
BUNDLE = Path(__file__).resolve().parent.parent
WEEK_H = 168.0
BASE_RATE = 0.19  # ships per hour on average (about 32 a week)
PRACTICE_WEEKS = 3
JUDGED_WEEKS = 12
PUBLIC_WEEKS = 5

BERTHS = [  # id, length m, depth m, quay cranes
    ("fornelli-1", 330, 14.5, 4),
    ("fornelli-2", 290, 13.0, 3),
    ("fornelli-3", 250, 12.0, 2),
    ("ravano-1", 380, 15.0, 4),
    ("ravano-2", 210, 10.5, 2),
]
SHIP_CLASSES = [  # name, share, length range m, draught range m, moves range
    ("feeder", 0.50, (120, 190), (7.5, 9.5), (250, 900)),
    ("panamax", 0.35, (230, 295), (10.5, 12.5), (900, 2200)),
    ("post-panamax", 0.15, (300, 366), (12.5, 14.0), (2000, 3600)),
]


def arrivals(rng: random.Random) -> list[float]:
    """Non-homogeneous Poisson process by thinning (Lewis & Shedler)."""
    peak = BASE_RATE * 1.5
    times, t = [], 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= WEEK_H:
            return times
        rate = BASE_RATE * (1 + 0.5 * math.sin(2 * math.pi * (t - 8) / 24))
        if rng.random() < rate / peak:
            times.append(round(t, 2))


def ship_class(pick: float) -> tuple[str, tuple[int, int], tuple[float, float], tuple[int, int]]:
    """The class whose cumulative share first exceeds `pick` (uniform in [0, 1))."""
    acc = 0.0
    for name, share, length, draught, moves in SHIP_CLASSES:
        acc += share
        if pick < acc:
            return name, length, draught, moves
    name, _, length, draught, moves = SHIP_CLASSES[-1]
    return name, length, draught, moves


def week(rng: random.Random, scenario: str) -> list[dict[str, object]]:
    ships = []
    for number, arrival in enumerate(arrivals(rng), start=1):
        name, length, draught, moves = ship_class(rng.random())
        ships.append({
            "scenario": scenario,
            "ship_id": f"{scenario}-s{number:02d}",
            "class": name,
            "arrival_h": f"{arrival:.2f}",
            "length_m": rng.randint(*length),
            "draught_m": f"{rng.uniform(*draught):.1f}",
            "moves": rng.randint(*moves),
        })
    return ships


def write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    berths = [{"berth_id": b, "length_m": length, "depth_m": f"{depth:.1f}", "cranes": cranes}
              for b, length, depth, cranes in BERTHS]
    practice = [s for w in range(1, PRACTICE_WEEKS + 1) for s in week(rng, f"practice-{w}")]
    judged_names = [f"week-{w:02d}" for w in range(1, JUDGED_WEEKS + 1)]
    judged = [s for name in judged_names for s in week(rng, name)]
    shuffled = judged_names[:]
    rng.shuffle(shuffled)
    public = set(shuffled[:PUBLIC_WEEKS])

    write_csv(BUNDLE / "data/berths.csv", berths)
    write_csv(BUNDLE / "data/ships.csv", practice)
    write_csv(BUNDLE / "inputs/berths.csv", berths)
    write_csv(BUNDLE / "inputs/ships.csv", judged)
    write_csv(BUNDLE / "reference/berths.csv", berths)
    write_csv(BUNDLE / "reference/ships.csv", judged)
    write_csv(BUNDLE / "reference/scenarios.csv",
              [{"scenario": n, "split": "public" if n in public else "private"}
               for n in judged_names])
    shutil.copyfile(BUNDLE / "scoring/score.py", BUNDLE / "starter/score.py")
    shutil.copyfile(BUNDLE / "baseline/main.py", BUNDLE / "starter/main.py")
    print(f"{len(practice)} practice ships, {len(judged)} judged ships, "
          f"public weeks {sorted(public)}")


if __name__ == "__main__":
    main()
