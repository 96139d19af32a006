"""Generate the nights of "Waterfront smart lighting". Seeded, standard library only.

Why generated: no public per-lamp footfall data exist for La Spezia's waterfront. The generator
keeps the physics that matter to the decision instead:

* **Nights.** Dates spread over a year (2027). Sunset and sunrise at La Spezia (44.10 N, 9.82 E)
  come from the standard solar-position approximation (declination and equation of time, sun at
  -0.833 degrees), in Italian local time (CET, CEST from the last Sunday of March to the last
  Sunday of October). The lights are on from the first quarter hour after sunset to the last
  before sunrise, in 15-minute slots.
* **Promenade.** 12 segments of 100 m along the waterfront (Passeggiata Morin style), each with
  its number of LED poles, nominal power and the average illuminance at full power (lux).
* **Pedestrians.** The expected count per segment and slot is
  `base * segment_weight * profile(time) * season(date) * weekend(date)`, where the profile
  has the evening stroll (peak about 20:00), a night low and an early-morning rise. The
  published forecast is that expectation. The real count, hidden in reference/, is
  `Poisson(expected * night_factor * noise)`, with a log-normal factor per night (weather,
  events: sigma 0.25) and per segment and slot (sigma 0.35). Forecasts are thus right on
  average but not on any given night, as real ones are.

Two parts, two seeds:

  python3 tools/generate.py
      the public files, from the published seed 20261122: data/ (segments, 4 practice nights
      with forecast *and* real counts), scoring/segments.csv (the simulator's copy of the
      segments), and copies of the scoring program and the baseline in the starter kit.
  python3 tools/generate.py --hidden DIR
      the hidden files, into DIR (never into the bundle, never committed): inputs/ (segments,
      the 14 judged nights with the forecast only, read by code submissions) and reference/
      (the same nights with the real counts and which are public or private). Their seed is
      $MAREA_HIDDEN_SEED when set, else a random one; it is never printed, so nobody can
      regenerate the real counts from the repository.

`marea challenge catalog` (`make catalog`, `make run`) runs the second form once per site.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import random
import secrets
import shutil
from pathlib import Path

SEED = 20261122  # the public part only
BUNDLE = Path(__file__).resolve().parent.parent
LATITUDE, LONGITUDE = 44.10, 9.82
SLOT_MIN = 15
BASE_PEDESTRIANS = 14.0  # per 15 minutes on an average segment at the evening peak
NIGHT_SIGMA, SLOT_SIGMA = 0.25, 0.35
PRACTICE_DATES = ["2027-01-16", "2027-04-09", "2027-07-24", "2027-10-12"]
JUDGED_DATES = [
    "2027-01-12", "2027-02-05", "2027-02-24", "2027-03-13", "2027-04-21", "2027-05-14",
    "2027-06-08", "2027-06-26", "2027-07-15", "2027-08-14", "2027-09-06", "2027-10-30",
    "2027-11-18", "2027-12-31",
]
PUBLIC_NIGHTS = 6
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# segment id, poles, watt per pole at full power, average lux at full power, footfall weight
SEGMENTS = [
    ("s01", 3, 90, 14.0, 0.45), ("s02", 4, 90, 16.0, 0.60), ("s03", 4, 110, 18.0, 0.80),
    ("s04", 5, 110, 20.0, 1.10), ("s05", 5, 110, 20.0, 1.50), ("s06", 5, 130, 22.0, 1.70),
    ("s07", 5, 130, 22.0, 1.60), ("s08", 4, 110, 18.0, 1.20), ("s09", 4, 110, 18.0, 0.90),
    ("s10", 4, 90, 16.0, 0.70), ("s11", 3, 90, 14.0, 0.50), ("s12", 3, 90, 14.0, 0.35),
]


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 31)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def utc_offset_h(day: dt.date) -> int:
    return 2 if last_sunday(day.year, 3) <= day < last_sunday(day.year, 10) else 1


def sun_times(day: dt.date) -> tuple[float, float]:
    """Sunrise and sunset in local decimal hours (NOAA's low-precision formulas)."""
    n = day.timetuple().tm_yday
    gamma = 2 * math.pi / 365 * (n - 1)
    eqtime = 229.18 * (0.000075 + 0.001868 * math.cos(gamma) - 0.032077 * math.sin(gamma)
                       - 0.014615 * math.cos(2 * gamma) - 0.040849 * math.sin(2 * gamma))
    decl = (0.006918 - 0.399912 * math.cos(gamma) + 0.070257 * math.sin(gamma)
            - 0.006758 * math.cos(2 * gamma) + 0.000907 * math.sin(2 * gamma)
            - 0.002697 * math.cos(3 * gamma) + 0.00148 * math.sin(3 * gamma))
    lat = math.radians(LATITUDE)
    cos_ha = (math.cos(math.radians(90.833)) / (math.cos(lat) * math.cos(decl))
              - math.tan(lat) * math.tan(decl))
    ha = math.degrees(math.acos(cos_ha))
    noon_utc_min = 720 - 4 * LONGITUDE - eqtime
    offset = utc_offset_h(day)
    return (noon_utc_min - 4 * ha) / 60 + offset, (noon_utc_min + 4 * ha) / 60 + offset


def profile(hour: float) -> float:
    """Relative footfall by local time (hour may exceed 24 after midnight)."""
    h = hour % 24
    evening = math.exp(-(((h - 20.0) if h > 12 else (h + 4.0)) / 2.2) ** 2)
    morning = 0.35 * math.exp(-((h - 7.0) / 1.0) ** 2) if h < 12 else 0.0
    return 0.03 + evening + morning


def season(day: dt.date) -> float:
    """Busier in summer: 0.6 in mid-January, 1.4 in mid-July."""
    return 1.0 + 0.4 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 105) / 365)


def night_slots(day: dt.date) -> list[tuple[int, str, float]]:
    """(slot number, local time HH:MM of its start, decimal hour from the evening's midnight)."""
    sunset = sun_times(day)[1]
    sunrise = sun_times(day + dt.timedelta(days=1))[0] + 24
    first = math.ceil(sunset * 60 / SLOT_MIN) * SLOT_MIN
    last = math.floor(sunrise * 60 / SLOT_MIN) * SLOT_MIN
    slots = []
    for number, minute in enumerate(range(first, last, SLOT_MIN)):
        clock = minute % (24 * 60)
        slots.append((number, f"{clock // 60:02d}:{clock % 60:02d}", minute / 60))
    return slots


def night_rows(rng: random.Random, name: str, date: str) -> tuple[dict[str, object],
                                                                  list[dict[str, object]]]:
    day = dt.date.fromisoformat(date)
    slots = night_slots(day)
    weekend = 1.35 if day.weekday() in (4, 5) else 1.0  # Friday and Saturday nights
    night_factor = math.exp(rng.gauss(0, NIGHT_SIGMA) - NIGHT_SIGMA**2 / 2)
    rows = []
    for segment, *_, weight in SEGMENTS:
        for number, clock, hour in slots:
            expected = BASE_PEDESTRIANS * weight * profile(hour) * season(day) * weekend
            noise = math.exp(rng.gauss(0, SLOT_SIGMA) - SLOT_SIGMA**2 / 2)
            rows.append({"night": name, "segment": segment, "slot": number, "time": clock,
                         "forecast": f"{expected:.2f}",
                         "pedestrians": poisson(rng, expected * night_factor * noise)})
    off = (round(slots[-1][2] * 60) + SLOT_MIN) % (24 * 60)
    info = {"night": name, "date": date, "weekday": WEEKDAYS[day.weekday()],
            "lights_on": slots[0][1], "lights_off": f"{off // 60:02d}:{off % 60:02d}",
            "slots": len(slots)}
    return info, rows


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; fine for the small means here."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def write_csv(path: Path, rows: list[dict[str, object]], drop: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = [k for k in rows[0] if k not in drop]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def segment_rows() -> list[dict[str, object]]:
    return [{"segment": s, "position_m": 100 * i, "poles": poles, "watt_per_pole": watt,
             "lux_full": f"{lux:.1f}"}
            for i, (s, poles, watt, lux, _) in enumerate(SEGMENTS)]


def public_part() -> None:
    rng = random.Random(SEED)
    practice_nights, practice_rows = [], []
    for i, date in enumerate(PRACTICE_DATES, start=1):
        info, rows = night_rows(rng, f"practice-{i}", date)
        practice_nights.append(info)
        practice_rows += rows
    write_csv(BUNDLE / "data/segments.csv", segment_rows())
    write_csv(BUNDLE / "data/nights.csv", practice_nights)
    write_csv(BUNDLE / "data/pedestrians.csv", practice_rows)
    write_csv(BUNDLE / "scoring/segments.csv", segment_rows())
    shutil.copyfile(BUNDLE / "scoring/score.py", BUNDLE / "starter/score.py")
    shutil.copyfile(BUNDLE / "baseline/main.py", BUNDLE / "starter/main.py")
    print(f"public part: {len(practice_rows)} practice rows")


def hidden_seed() -> int:
    given = os.environ.get("MAREA_HIDDEN_SEED", "").strip()
    return int(given) if given else secrets.randbits(64)


def hidden_part(folder: Path) -> None:
    rng = random.Random(hidden_seed())
    judged_nights, judged_rows = [], []
    for i, date in enumerate(JUDGED_DATES, start=1):
        info, rows = night_rows(rng, f"night-{i:02d}", date)
        judged_nights.append(info)
        judged_rows += rows
    names = [n["night"] for n in judged_nights]
    rng.shuffle(names)
    public = set(names[:PUBLIC_NIGHTS])
    for info in judged_nights:
        info["split"] = "public" if info["night"] in public else "private"
    write_csv(folder / "inputs/segments.csv", segment_rows())
    write_csv(folder / "inputs/nights.csv", judged_nights, drop=("split",))
    write_csv(folder / "inputs/pedestrians.csv", judged_rows, drop=("pedestrians",))
    write_csv(folder / "reference/nights.csv", judged_nights)
    write_csv(folder / "reference/pedestrians.csv", judged_rows)
    # Neither the seed nor the split is printed: both would give the hidden part away.
    print(f"hidden part: {len(judged_rows)} judged rows in {len(names)} nights, written to "
          f"{folder}")


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
