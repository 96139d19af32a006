"""The data of a long hackathon, built fast and in bounded memory: teams, submissions, scores.

The board benchmarks need a site the size of the final minutes of a big event (1,000 teams
and 50,000 scored submissions by default; the issue-12 case is 10,000 and 1,000,000). Rows
are generated in chunks and streamed: PostgreSQL gets them through COPY, SQLite through
batched INSERTs of the models' own tables, so the schema (indexes, JSON and time columns) is
exactly the one the site reads, and memory stays flat however many submissions there are
(only each team's best entry per split is kept while streaming). Afterwards the id sequences
are moved past the rows written (so the site can insert rows of its own), PostgreSQL's
statistics are refreshed, and a `marea_bench_build` row records the shape, so a later run on
the same database reuses the build instead of refusing a database that is not empty.

Build alone, with its time and peak memory:
  .venv/bin/python bench/board_data.py --teams 10000 --submissions 1000000 \\
      --database-url postgresql+psycopg://127.0.0.1:5432/marea_bench_big [--keep-database]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import BUNDLE, MAREA, ROOT, SLUG, Place, add_site_options, commit, machine, place

CHUNK = 20_000  # submissions per streamed chunk: 4 score rows each
MARKER = "marea_bench_build"
OPEN_LIMIT = 1_000_000  # quotas of the bench phase: checked on every upload, never reached


@dataclass(frozen=True)
class Build:
    """What was built (or found built) in a database."""

    challenge_id: int
    phase_id: int
    first_team_id: int
    teams: int
    submissions: int
    seconds: float
    peak_rss_mib: float
    reused: bool


def bench_bundle(data_dir: Path) -> Path:
    """The sea-surface-temperature bundle with its development phase open now, quotas huge.

    The real bundle's phases have fixed dates, which would one day close the phase the upload
    and judging benchmarks submit to; the limits are kept (so every upload runs the quota
    check) but set where no benchmark reaches them.
    """
    from ruamel.yaml import YAML

    dest = data_dir / "bundle" / SLUG
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(BUNDLE, dest)
    yaml = YAML()
    config = yaml.load((dest / "challenge.yaml").read_text())
    now = datetime.now(UTC).replace(microsecond=0)
    development, final = config["phases"][0], config["phases"][1]
    development["start"] = (now - timedelta(days=1)).isoformat()
    development["end"] = (now + timedelta(days=60)).isoformat()
    development["limits"] = {"per_day": OPEN_LIMIT, "total": OPEN_LIMIT, "concurrent": OPEN_LIMIT}
    final["start"] = development["end"]
    final["end"] = (now + timedelta(days=75)).isoformat()
    with (dest / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return dest


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _existing(engine: Any) -> Build | None:
    """The build already in this database, or None when it is empty; refuses anything else."""
    from sqlalchemy import inspect, text

    tables = set(inspect(engine).get_table_names())
    if not tables:
        return None
    if MARKER not in tables:
        raise SystemExit(
            f"{engine.url.render_as_string()} already holds tables but no bench build: the "
            "benchmarks never write into another database; name a new one (it is created)."
        )
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT * FROM {MARKER}")).mappings().one()
    return Build(
        int(row["challenge_id"]), int(row["phase_id"]), int(row["first_team_id"]),
        int(row["teams"]), int(row["submissions"]), float(row["seconds"]),
        float(row["peak_rss_mib"]), reused=True,
    )  # fmt: skip


def build(where: Place, teams: int, submissions: int, *, seed: int = 4) -> Build:
    """Fill the place's database (or reuse the same shape already there); see the module doc."""
    from app.core.db import make_engine

    engine = make_engine(where.database.url)
    try:
        found = _existing(engine)
        if found is not None:
            if (found.teams, found.submissions) != (teams, submissions):
                raise SystemExit(
                    f"{where.database.url} holds a bench build of {found.teams} teams and "
                    f"{found.submissions} submissions, not {teams} and {submissions}: drop it or "
                    "name another database."
                )
            return found
        started = time.monotonic()
        subprocess.run(
            [MAREA, "challenge", "load", "--publish", str(bench_bundle(where.data_dir))],
            cwd=ROOT, env=where.env(), check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        made = _fill(engine, teams, submissions, seed)
        seconds = time.monotonic() - started
        result = Build(*made, teams, submissions, seconds, _peak_rss_mib(), reused=False)
        _mark(engine, result)
        return result
    finally:
        engine.dispose()


def _fill(engine: Any, teams: int, submissions: int, seed: int) -> tuple[int, int, int]:
    """Stream the rows in; returns (challenge id, development phase id, first team id)."""
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    import app.models  # noqa: F401  (registers every table in the metadata)
    from app.challenges.models import Challenge, Phase
    from app.leaderboard.ranking import BoardSpec, rank_value, sort_key

    tables = SQLModel.metadata.tables
    postgres = engine.dialect.name == "postgresql"
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        challenge_id, config = conn.execute(
            select(Challenge.id, Challenge.config).where(Challenge.slug == SLUG)
        ).one()
        phase_id = conn.execute(
            select(Phase.id).where(Phase.challenge_id == challenge_id, Phase.name == "development")
        ).scalar_one()
        spec = BoardSpec.from_config(config)

        def next_id(name: str) -> int:
            return int(conn.execute(select(func.max(tables[name].c.id))).scalar() or 0) + 1

        user0, team0, sub0 = next_id("user"), next_id("team"), next_id("submission")

        def write(name: str, rows: Iterable[dict[str, Any]]) -> None:
            (_copy if postgres else _insert)(conn, tables[name], rows)

        write("user", ({
            "id": user0 + i, "email": f"bench-{i}@example.org", "name": f"Bench person {i}",
            "password_hash": None, "role": "participant", "email_verified": True,
            "is_active": True, "language": None, "created_at": now, "last_login_at": None,
        } for i in range(teams)))  # fmt: skip
        write("team", ({
            "id": team0 + i, "challenge_id": challenge_id, "name": f"Squadra {i:05d} del Golfo",
            "captain_id": user0 + i, "invite_code": f"bench{i:08d}", "approved": True,
            "disqualified_reason": None, "created_at": now,
        } for i in range(teams)))  # fmt: skip
        write("membership", ({
            "team_id": team0 + i, "user_id": user0 + i, "challenge_id": challenge_id,
            "joined_at": now,
        } for i in range(teams)))  # fmt: skip

        best: dict[tuple[int, str], tuple[tuple[Any, ...], dict[str, float], int, datetime]] = {}
        for start in range(0, submissions, CHUNK):
            subs: list[dict[str, Any]] = []
            scores: list[dict[str, Any]] = []
            for n in range(start, min(start + CHUNK, submissions)):
                sid = sub0 + n
                team = team0 + n % teams
                created = now - timedelta(seconds=submissions - n)
                subs.append(_submission(sid, challenge_id, phase_id, team, user0 + n % teams,
                                        created))  # fmt: skip
                for split in ("public", "private"):
                    values = {"rmse": rng.uniform(0.3, 3.0), "mae": rng.uniform(0.2, 2.5)}
                    for key, value in values.items():
                        scores.append({
                            "submission_id": sid, "version": 1, "current": True, "split": split,
                            "key": key, "value": value, "rescore_item_id": None,
                            "created_at": created,
                        })  # fmt: skip
                    order = sort_key(spec, values, created, sid)
                    held = best.get((team, split))
                    if held is None or order < held[0]:
                        best[(team, split)] = (order, values, sid, created)
            write("submission", subs)
            write("score", scores)
        write("leaderboardentry", ({
            "phase_id": phase_id, "team_id": team, "split": split, "submission_id": sid,
            "rank_value": rank_value(spec, values), "values": values, "submitted_at": created,
            "updated_at": created,
        } for (team, split), (_, values, sid, created) in best.items()))  # fmt: skip
        if postgres:
            for name in ("user", "team", "membership", "submission", "score", "leaderboardentry"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{name}"), false)'
                )
    if postgres:  # the planner's statistics, as autovacuum would make them soon after
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return int(challenge_id), int(phase_id), team0


def _submission(
    sid: int, challenge_id: int, phase_id: int, team: int, user: int, created: datetime
) -> dict[str, Any]:
    return {
        "id": sid, "challenge_id": challenge_id, "phase_id": phase_id, "team_id": team,
        "user_id": user, "kind": "predictions", "file_sha256": f"{sid:064x}",
        "filename": "predictions.csv", "size": 2048, "description": "", "link": None,
        "status": "scored", "failure": None, "message": "", "attempts": 1, "worker": None,
        "job_id": None, "logs_sha256": None, "duration_s": 1.5, "provenance": {},
        "selected_final": False, "created_at": created, "started_at": created,
        "heartbeat_at": None, "finished_at": created,
    }  # fmt: skip


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(conn: Any, table: Any, rows: Iterable[dict[str, Any]]) -> None:
    """SQLite: executemany of the table's own INSERT, in chunks (its types convert values)."""
    for chunk in _chunks(rows, 10_000):
        conn.execute(table.insert(), chunk)


def _copy(conn: Any, table: Any, rows: Iterable[dict[str, Any]]) -> None:
    """PostgreSQL: one COPY per call, rows streamed; ids left out get the sequence's default."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    columns = [c.name for c in table.columns if c.name in first]
    if set(first) - set(columns):
        raise SystemExit(f"{table.name} has no columns {set(first) - set(columns)}")
    names = ", ".join(f'"{c}"' for c in columns)
    with (
        conn.connection.dbapi_connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        for row in itertools.chain([first], iterator):
            copy.write_row(
                [json.dumps(row[c]) if isinstance(row[c], dict | list) else row[c] for c in columns]
            )


def _mark(engine: Any, made: Build) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {MARKER} (challenge_id INTEGER, phase_id INTEGER, teams INTEGER, "
            "submissions INTEGER, first_team_id INTEGER, seconds FLOAT, peak_rss_mib FLOAT, "
            "built_at VARCHAR(40), built_by VARCHAR(40))"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {MARKER} VALUES ({made.challenge_id}, {made.phase_id}, {made.teams}, "
            f"{made.submissions}, {made.first_team_id}, {made.seconds}, {made.peak_rss_mib}, "
            f"'{datetime.now(UTC).isoformat(timespec='seconds')}', '{commit()}')"
        )


def describe(made: Build, url: str) -> str:
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    if made.reused:
        return (
            f"database: {where}, {made.teams} teams, {made.submissions} submissions "
            f"(reused an earlier build, made in {made.seconds:.1f} s)"
        )
    return (
        f"database: {where}, {made.teams} teams, {made.submissions} submissions, built in "
        f"{made.seconds:.1f} s, peak RSS of the builder {made.peak_rss_mib:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    add_site_options(parser)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print("command:", " ".join([".venv/bin/python", "bench/board_data.py", *sys.argv[1:]]))
    load0 = os.getloadavg()
    with place(args) as where:
        made = build(where, args.teams, args.submissions)
        print(describe(made, where.database.url))
        print(f"load average before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f}")
        if where.database.created and not args.keep_database:
            print("(the database is dropped now; --keep-database keeps it for later runs)")


if __name__ == "__main__":
    main()
