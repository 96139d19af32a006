"""Generate the weeks of ship arrivals for "Port berth scheduling". Standard library only.

Why generated: real berth-by-berth call data of a port are not public. The generator keeps the
physics of a container terminal like La Spezia's instead:

* Ships announce an ETA; ETAs follow a Poisson process, denser by day (pilots board 06-22): the
  rate is `BASE_RATE * (1 + 0.5 * sin(2*pi*(h - 8)/24))` ships per hour, sampled by thinning.
* A ship really arrives at `ETA + delay`: most within about half an hour of it (normal, sigma
  0.5 h), one in four late by an exponential delay (mean 3 h). A plan is made on ETAs; the
  terminal then lives with the real arrivals.
* Each ship belongs to a class (feeder, panamax, post-panamax) with class-typical length,
  draught and number of container moves (each uniform within the class's range).
* Berths have a length, a water depth and a number of quay cranes. A ship fits a berth when
  `length <= berth length` and `draught + UKC <= depth` (UKC = under-keel clearance, 1.0 m).
* Handling time is `moves / (cranes * MOVES_PER_CRANE_HOUR)`; berths with more cranes work faster.
* Between two ships on the same berth the quay needs `CHANGEOVER_H` hours (unmooring, mooring).

Two parts, two seeds:

  python3 tools/generate.py
      the public files, from the published seed 20261122: data/ (berths, 3 practice weeks with
      ETAs *and* real arrivals), scoring/berths.csv (the simulator's copy of the berths), and
      copies of the scoring program and the baseline in the starter kit, so they never drift.
  python3 tools/generate.py --hidden DIR
      the hidden files, into DIR (never into the bundle, never committed): inputs/ (berths and
      the 12 judged weeks, ETAs only: what code submissions read) and reference/ (the same weeks
      with the real arrivals, and which weeks are public or private). Their seed is
      $MAREA_HIDDEN_SEED when set (to make an event's data again), else a random one; it is
      never printed, so nobody can regenerate the judged weeks from the repository.

`marea challenge catalog` (`make catalog`, `make run`) runs the second form once per site.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import secrets
import shutil
from pathlib import Path

SEED = 20261122  # the public part only
BUNDLE = Path(__file__).resolve().parent.parent
WEEK_H = 168.0
BASE_RATE = 0.19  # ships per hour on average (about 32 a week)
ON_TIME_SIGMA_H = 0.5
LATE_SHARE = 0.25
LATE_MEAN_H = 3.0
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


def etas(rng: random.Random) -> list[float]:
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
    """One week's ships, with their ETA and the hour they really arrive."""
    ships = []
    for number, eta in enumerate(etas(rng), start=1):
        name, length, draught, moves = ship_class(rng.random())
        ships.append({
            "scenario": scenario,
            "ship_id": f"{scenario}-s{number:02d}",
            "class": name,
            "eta_h": f"{eta:.2f}",
            "length_m": rng.randint(*length),
            "draught_m": f"{rng.uniform(*draught):.1f}",
            "moves": rng.randint(*moves),
        })
    for ship in ships:  # drawn after the week, so ETAs do not depend on the delay model
        late = rng.random() < LATE_SHARE
        delay = rng.expovariate(1 / LATE_MEAN_H) if late else rng.gauss(0.0, ON_TIME_SIGMA_H)
        ship["arrival_h"] = f"{max(0.0, float(str(ship['eta_h'])) + delay):.2f}"
    return ships


def write_csv(path: Path, rows: list[dict[str, object]], drop: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = [k for k in rows[0] if k not in drop]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def berth_rows() -> list[dict[str, object]]:
    return [{"berth_id": b, "length_m": length, "depth_m": f"{depth:.1f}", "cranes": cranes}
            for b, length, depth, cranes in BERTHS]


def public_part() -> None:
    rng = random.Random(SEED)
    practice = [s for w in range(1, PRACTICE_WEEKS + 1) for s in week(rng, f"practice-{w}")]
    write_csv(BUNDLE / "data/berths.csv", berth_rows())
    write_csv(BUNDLE / "data/ships.csv", practice)
    write_csv(BUNDLE / "scoring/berths.csv", berth_rows())
    shutil.copyfile(BUNDLE / "scoring/score.py", BUNDLE / "starter/score.py")
    shutil.copyfile(BUNDLE / "baseline/main.py", BUNDLE / "starter/main.py")
    print(f"public part: {len(practice)} practice ships")


def hidden_seed() -> int:
    given = os.environ.get("MAREA_HIDDEN_SEED", "").strip()
    return int(given) if given else secrets.randbits(64)


def hidden_part(folder: Path) -> None:
    rng = random.Random(hidden_seed())
    names = [f"week-{w:02d}" for w in range(1, JUDGED_WEEKS + 1)]
    judged = [s for name in names for s in week(rng, name)]
    shuffled = names[:]
    rng.shuffle(shuffled)
    public = set(shuffled[:PUBLIC_WEEKS])
    write_csv(folder / "inputs/berths.csv", berth_rows())
    write_csv(folder / "inputs/ships.csv", judged, drop=("arrival_h",))
    write_csv(folder / "reference/ships.csv", judged)
    write_csv(folder / "reference/scenarios.csv",
              [{"scenario": n, "split": "public" if n in public else "private"} for n in names])
    # Neither the seed nor the split is printed: both would give the hidden part away.
    print(f"hidden part: {len(judged)} judged ships in {len(names)} weeks, written to {folder}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=Path, metavar="DIR",
                        help="write the hidden files (inputs, reference) into DIR instead")
    args = parser.parse_args()
    if args.hidden is None:
        public_part()
    else:
        hidden_part(args.hidden)


if __name__ == "__main__":
    main()
