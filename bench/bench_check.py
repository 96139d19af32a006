"""`make bench-check`: a short run of every hot-path benchmark, each beside a reference.

A benchmark figure alone says as much about the machine (2 shared cores, other engineers'
suites) as about the code. So each benchmark is measured, in rounds, next to a reference
measured in the same run on the same server, and what is compared over time is the ratio
(normalised so that higher is better). The run fails (exit 1) when a ratio falls below the
one recorded in bench/baseline.json by more than the noise: the largest of this run's noise
(twice the robust standard deviation, 1.4826 MAD, of its rounds' ratios), the noise recorded
with the baseline, and 5 % of the recorded ratio. A p99 latency row fails only below a third of its recorded
ratio (see `Row.tail_factor`): the tails of short rounds on shared cores are that noisy.

References, and why each is fair:
- HTTP rows (the JSON board, its pages, uploads): `GET /api/v1/challenges` of the same
  `marea serve` process, with the same load generator and connection count. It goes through
  the same middleware, routing, a sync dependency (thread pool hop + database session), one
  query and a JSON response, so it moves with the machine and with the framework, but it is
  not a route we optimise. A change to the middleware or framework moves it too: after one,
  check the absolute columns as well and run `make bench-record` on purpose.
- SSE fan-out: the time the same server takes to answer as many reference requests as there
  are open pages (count / reference req/s, measured while the pages are open).
- dispatch: the least the same step can cost: per submission one committed UPDATE on the
  same database and one RQ enqueue on the same Redis, done by this process.
- judging: a bare `docker run --rm --network none` of the runner image importing numpy (what
  the built-in scorer imports), on the same engine, interleaved with the judged submissions.

Usage: .venv/bin/python bench/bench_check.py [--record] [--only board,page,around,sse,
           judging,upload,dispatch] [--rounds 3] [--seconds 3] [site options, see README]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board_data import Build, build, describe
from harness import (
    BUNDLE,
    SLUG,
    LoadResult,
    Place,
    Server,
    add_site_options,
    commit,
    cpu_seconds,
    have_wrk,
    load,
    load_average,
    machine,
    place,
    run_wrk,
    serve,
)
from sse_fanout import one_round, open_pages, quantile, stream_env

BASELINE = Path(__file__).resolve().parent / "baseline.json"
BOARD = f"/api/v1/challenges/{SLUG}/leaderboard"
REFERENCE = "/api/v1/challenges"
GROUPS = ("board", "page", "around", "sse", "judging", "upload", "dispatch")
TAIL_FACTOR = 3.0
NOISE_FLOOR = 0.05  # of the recorded ratio: a few rounds can agree by chance
CONNECTIONS = 32
UPLOAD_CONNECTIONS = 8
UPLOAD_TEAMS = 8
SSE_PAGES = 500
JUDGED = 5
NO_PAGING = "n/a (the board API has no paging at this commit)"


@dataclass
class Row:
    """One benchmark: its value and its reference in each round."""

    key: str
    label: str
    unit: str
    better: str  # "higher" or "lower": how the ratio is oriented so that higher is better
    values: list[float] = field(default_factory=list)
    references: list[float] = field(default_factory=list)
    na: str = ""
    # Tail latencies of 2-second rounds on shared cores vary by a factor of two or three
    # between runs of the same code (a neighbour's burst lands in one round or not), so a p99
    # row fails only when its ratio falls below the recorded one divided by this factor:
    # it catches the kind of regression issue 12 found (p99 up to 16 times worse), not noise.
    tail_factor: float = 0.0

    def ratios(self) -> list[float]:
        pairs = zip(self.values, self.references, strict=True)
        if self.better == "higher":
            return [v / r for v, r in pairs if r > 0]
        return [r / v for v, r in pairs if v > 0]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios())

    @property
    def noise(self) -> float:
        """Twice the robust standard deviation (1.4826 MAD) of the rounds' ratios.

        Robust because on shared cores one round now and then lands in a neighbour's burst:
        the plain range would then widen the allowance until no regression could fail.
        """
        ratios = self.ratios()
        if len(ratios) < 2:
            return 0.0
        middle = statistics.median(ratios)
        return 2 * 1.4826 * statistics.median(abs(r - middle) for r in ratios)


# -- the HTTP benchmarks ---------------------------------------------------------------------


def _measure(url: str, connections: int, seconds: float, pid: int, tool: str) -> LoadResult:
    result = load(url, connections=connections, duration=seconds, pid=pid, tool=tool)
    if result.errors:
        raise SystemExit(f"{result.errors} errors loading {url}: {result.command}")
    return result


def paging_answer(base_url: str, path: str, most: int) -> str:
    """'' when `path` answers a page of at most `most` rows, else why it cannot be measured."""
    answer = httpx.get(base_url + path, timeout=60)
    if answer.status_code != 200:
        return f"n/a ({path} answered {answer.status_code})"
    return NO_PAGING if len(answer.json()["rows"]) > most else ""


def http_rows(
    server: Server, made: Build, groups: set[str], rounds: int, seconds: float, tool: str
) -> list[Row]:
    team = made.first_team_id + made.teams // 2
    full = len(httpx.get(server.base_url + BOARD, timeout=60).json()["rows"])
    if "board" in groups and full != made.teams:
        raise SystemExit(
            f"GET {BOARD} answered {full} rows, not the whole board of {made.teams}: the 'board' "
            "rows measure the full board, so BOARD in bench/bench_check.py must ask for all rows"
        )
    routes = {
        "board": (BOARD, ""),
        "page": (f"{BOARD}?limit=10", paging_answer(server.base_url, f"{BOARD}?limit=10", 10)),
        "around": (
            f"{BOARD}?around={team}",
            paging_answer(server.base_url, f"{BOARD}?around={team}", 21),
        ),
    }
    wanted = [g for g in ("board", "page", "around") if g in groups]
    names = {
        "board": f"JSON board, full ({made.teams:,} teams)",
        "page": "JSON board, first page (?limit=10)",
        "around": "JSON board, around a team (?around=ID)",
    }
    rows: dict[str, Row] = {}
    for g in wanted:
        na = routes[g][1]
        rows[f"{g}_rps"] = Row(f"{g}_rps", f"{names[g]}: throughput", "req/s", "higher", na=na)
        rows[f"{g}_p99"] = Row(
            f"{g}_p99", f"{names[g]}: p99 latency", "ms", "lower", na=na, tail_factor=TAIL_FACTOR
        )
        rows[f"{g}_cpu"] = Row(
            f"{g}_cpu", f"{names[g]}: server CPU per request", "ms", "lower", na=na
        )
    live = [g for g in wanted if not routes[g][1]]
    if not live:
        return list(rows.values())
    for g in live:  # fill the caches and let the process settle before anything is measured
        _measure(server.base_url + routes[g][0], CONNECTIONS, 2, server.pid, tool)
    _measure(server.base_url + REFERENCE, CONNECTIONS, 2, server.pid, tool)
    for _ in range(rounds):
        ref = _measure(server.base_url + REFERENCE, CONNECTIONS, seconds, server.pid, tool)
        for g in live:
            got = _measure(server.base_url + routes[g][0], CONNECTIONS, seconds, server.pid, tool)
            for suffix, value, reference in (
                ("rps", got.rps, ref.rps),
                ("p99", got.p99_ms, ref.p99_ms),
                ("cpu", got.cpu_ms_per_request, ref.cpu_ms_per_request),
            ):
                rows[f"{g}_{suffix}"].values.append(value)
                rows[f"{g}_{suffix}"].references.append(reference)
    return list(rows.values())


# -- SSE -------------------------------------------------------------------------------------


def sse_row(server: Server, where: Place, made: Build, rounds: int, tool: str) -> Row:
    row = Row("sse_p99", f"SSE fan-out to {SSE_PAGES} pages: p99 delivery", "ms", "lower")

    async def run() -> None:
        pages = await open_pages(server.base_url, SSE_PAGES)
        await asyncio.sleep(1.0)
        client = redis.Redis.from_url(where.redis_url)
        try:
            # The first event after the pages opened is slower and varies most: not counted.
            await one_round(pages, client, made.challenge_id, made.phase_id, made.first_team_id)
            await asyncio.sleep(0.5)
            for _ in range(rounds):
                ref = await asyncio.to_thread(
                    _measure, server.base_url + REFERENCE, CONNECTIONS, 2, server.pid, tool
                )
                latencies, missed = await one_round(
                    pages, client, made.challenge_id, made.phase_id, made.first_team_id
                )
                if missed:
                    raise SystemExit(f"SSE: {missed} of {SSE_PAGES} pages missed the event")
                row.values.append(quantile(latencies, 99))
                row.references.append(1000 * SSE_PAGES / ref.rps)
                await asyncio.sleep(0.5)
        finally:
            client.close()
            pages.close()

    asyncio.run(run())
    return row


# -- uploads and dispatch --------------------------------------------------------------------


@dataclass(frozen=True)
class Uploader:
    tokens: list[str]
    body: bytes
    boundary: str


def make_uploaders(where: Place, challenge_id: int, count: int, prefix: str) -> list[str]:
    """Teams of one with a `submit` token each, made as `marea user create` would; the tokens."""
    from sqlmodel import Session

    from app.accounts.service import create_user
    from app.accounts.tokens import NewToken, create_token
    from app.core.db import make_engine
    from app.models import Membership, Team, User

    engine = make_engine(where.database.url)
    secrets: list[str] = []
    with Session(engine) as session:
        for n in range(count):
            tag = uuid.uuid4().hex[:8]
            user = create_user(session, email=f"{prefix}-{tag}@example.org",
                               name=f"{prefix} {n}", password=None, email_verified=True)  # fmt: skip
            assert isinstance(user, User), user
            session.flush()
            assert user.id is not None
            team = Team(challenge_id=challenge_id, name=f"{prefix} {n} {tag}", captain_id=user.id,
                        invite_code=f"{prefix[:8]}{tag}")  # fmt: skip
            session.add(team)
            session.flush()
            assert team.id is not None
            session.add(Membership(team_id=team.id, user_id=user.id, challenge_id=challenge_id))
            token = create_token(session, user, "bench")
            assert isinstance(token, NewToken), token
            secrets.append(token.secret)
        session.commit()
    engine.dispose()
    return secrets


def multipart(predictions: Path) -> tuple[bytes, str]:
    boundary = "marea-bench-" + uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="predictions.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + predictions.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, boundary


def upload_script(where: Place, up: Uploader, path: str) -> Path:
    """A wrk script that POSTs the same predictions file, rotating the teams' tokens."""
    body_file = where.data_dir / "upload-body.bin"
    body_file.write_bytes(up.body)
    tokens = ", ".join(json.dumps(t) for t in up.tokens)
    script = where.data_dir / "upload.lua"
    script.write_text(
        f"local tokens = {{{tokens}}}\n"
        f"local f = assert(io.open({json.dumps(str(body_file))}, 'rb'))\n"
        "local body = f:read('*a')\nf:close()\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n"
        f"  return wrk.format('POST', {json.dumps(path)}, {{\n"
        "    ['Authorization'] = 'Bearer ' .. tokens[(n % #tokens) + 1],\n"
        f"    ['Content-Type'] = 'multipart/form-data; boundary={up.boundary}',\n"
        "  }, body)\nend\n"
    )
    return script


async def _httpx_uploads(url: str, up: Uploader, seconds: float) -> tuple[int, int, float]:
    done = errors = 0
    headers = {"Content-Type": f"multipart/form-data; boundary={up.boundary}"}
    async with httpx.AsyncClient(timeout=60) as client:
        stop = time.monotonic() + seconds

        async def one(i: int) -> None:
            nonlocal done, errors
            while time.monotonic() < stop:
                auth = {"Authorization": f"Bearer {up.tokens[i % len(up.tokens)]}"}
                answer = await client.post(url, content=up.body, headers={**headers, **auth})
                done += 1
                errors += answer.status_code != 201
                i += 1

        began = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(UPLOAD_CONNECTIONS)))
        return done, errors, time.monotonic() - began


def upload_row(
    server: Server, where: Place, up: Uploader, rounds: int, seconds: float, tool: str
) -> Row:
    row = Row("upload_rps", "Upload: POST a submission (quota check, queued)", "per s", "higher")
    path = f"/api/v1/challenges/{SLUG}/submissions"
    use_wrk = tool == "wrk" or (tool == "auto" and have_wrk())
    script = upload_script(where, up, path) if use_wrk else None
    for _ in range(rounds):
        ref = _measure(server.base_url + REFERENCE, UPLOAD_CONNECTIONS, seconds, server.pid, tool)
        if script is not None:
            got = run_wrk(server.base_url + path, connections=UPLOAD_CONNECTIONS,
                          duration=seconds, pid=server.pid, script=script)  # fmt: skip
            count, errors, rate = got.requests, got.errors, got.rps
        else:
            count, errors, elapsed = asyncio.run(_httpx_uploads(server.base_url + path, up,
                                                                seconds))  # fmt: skip
            rate = count / elapsed
        if errors:
            raise SystemExit(f"{errors} of {count} uploads were not accepted (201)")
        row.values.append(rate)
        row.references.append(ref.rps)
    return row


def dispatch_row(where: Place, rounds: int) -> Row:
    """Dispatch the queued uploads in equal batches, each beside the minimal equivalent."""
    from rq import Queue
    from sqlalchemy import text
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.queue.connection import JOB_FUNCTION
    from app.queue.dispatch import dispatch, waiting

    row = Row("dispatch_ms", "Dispatch: queued submission handed to Redis", "ms each", "lower")
    engine = make_engine(where.database.url)
    client = redis.Redis.from_url(where.redis_url)
    queue = Queue("marea", connection=client)
    reference_queue = Queue("marea-bench-reference", connection=client)
    with Session(engine) as session:
        pending = len(waiting(session))
    batch = min(200, pending // rounds)
    if batch < 10:
        engine.dispose()
        return Row(row.key, row.label, row.unit, row.better, na="n/a (too few queued uploads)")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS marea_bench_ref (id INTEGER PRIMARY "
                             "KEY, n INTEGER NOT NULL)")  # fmt: skip
        conn.exec_driver_sql("DELETE FROM marea_bench_ref")
        conn.exec_driver_sql("INSERT INTO marea_bench_ref (id, n) VALUES (1, 0)")
    try:
        for _ in range(rounds):
            t0 = time.perf_counter()
            for i in range(batch):
                with Session(engine) as session:
                    session.execute(text("UPDATE marea_bench_ref SET n = n + 1 WHERE id = 1"))
                    session.commit()
                reference_queue.enqueue(JOB_FUNCTION, i, job_id=f"ref-{uuid.uuid4().hex[:10]}",
                                        job_timeout=60, result_ttl=3600, failure_ttl=86400)  # fmt: skip
            ref_ms = 1000 * (time.perf_counter() - t0) / batch
            t0 = time.perf_counter()
            sent = dispatch(engine, queue, depth=queue.count + batch, team_cap=10**9)
            took = time.perf_counter() - t0
            if len(sent) != batch:
                raise SystemExit(f"dispatch sent {len(sent)} of {batch}")
            row.values.append(1000 * took / batch)
            row.references.append(ref_ms)
    finally:
        queue.delete(delete_jobs=True)
        reference_queue.delete(delete_jobs=True)
        client.close()
        engine.dispose()
    return row


# -- judging ---------------------------------------------------------------------------------


def judging_row(where: Place, rounds: int) -> Row:
    from queue_bench import Bench, one_at_a_time, start_worker, stop_worker
    from sqlmodel import Session, col, select

    from app.core.runtime import open_runtime
    from app.core.settings import Settings
    from app.models import Challenge, Phase, Team

    row = Row("judging_s", "Judging a trivial predictions file: enqueue to scored event", "s",
              "lower")  # fmt: skip
    settings = Settings(data_dir=where.data_dir, database_url=where.database.url,
                        redis_url=where.redis_url)  # fmt: skip
    runtime = open_runtime(settings)
    image = settings.runner_image
    with Session(runtime.engine, expire_on_commit=False) as session:
        challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
        phase = session.exec(
            select(Phase).where(Phase.challenge_id == challenge.id, Phase.name == "development")
        ).one()
    assert challenge.id is not None
    make_uploaders(where, challenge.id, rounds, "Judged")
    with Session(runtime.engine, expire_on_commit=False) as session:
        teams = list(session.exec(select(Team).where(col(Team.name).like("Judged %"))))
    predictions = BUNDLE / "baseline" / "predictions.csv"
    bench = Bench(runtime, phase, predictions, where)
    bare = ["docker", "run", "--rm", "--network", "none", "--user", "1000:1000", image,
            "python3", "-c", "import numpy"]  # fmt: skip
    subprocess.run(bare, check=True, stdout=subprocess.DEVNULL)  # warm the engine's caches
    worker = start_worker(bench, 1, where.data_dir / "worker.log")
    try:
        one_at_a_time(bench, teams[:1])  # the worker's first job warms its imports
        for team in teams[:rounds]:
            t0 = time.perf_counter()
            subprocess.run(bare, check=True, stdout=subprocess.DEVNULL)
            row.references.append(time.perf_counter() - t0)
            ((_, d0, _, event),) = one_at_a_time(bench, [team])
            row.values.append(event - d0)
    finally:
        stop_worker(worker)
        runtime.engine.dispose()
    return row


# -- the table and the baseline --------------------------------------------------------------


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def verdicts(rows: list[Row], recorded: dict[str, Any]) -> tuple[list[str], bool]:
    lines = [
        "| benchmark | value | reference | ratio (± noise) | recorded ratio | verdict |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    failed = False
    for row in rows:
        if row.na:
            lines.append(f"| {row.label} | {row.na} | | | | n/a |")
            continue
        value = statistics.median(row.values)
        ref = statistics.median(row.references)
        old = recorded.get(row.key) or {}
        old_ratio = old.get("ratio")
        if old_ratio is None:
            verdict, shown = "new: not recorded (make bench-record)", "—"
        else:
            allowed = max(row.noise, float(old.get("noise", 0.0)), NOISE_FLOOR * old_ratio)
            if row.tail_factor:
                allowed = max(allowed, old_ratio - old_ratio / row.tail_factor)
            shown = f"{old_ratio:.3f}"
            if row.ratio < old_ratio - allowed:
                verdict, failed = f"**SLOWER** (by more than {allowed:.3f})", True
            elif row.ratio > old_ratio + allowed:
                verdict = "faster (record it if intended)"
            else:
                verdict = "ok"
        lines.append(
            f"| {row.label} | {fmt(value)} {row.unit} | {fmt(ref)} {row.unit} | "
            f"{row.ratio:.3f} ± {row.noise:.3f} | {shown} | {verdict} |"
        )
    return lines, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="Write bench/baseline.json.")
    parser.add_argument("--only", default=",".join(GROUPS), help="Comma-separated groups.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2, help="Seconds per HTTP measurement.")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    add_site_options(parser)
    args = parser.parse_args()
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    if groups - set(GROUPS):
        raise SystemExit(f"unknown groups {sorted(groups - set(GROUPS))}; known: {GROUPS}")
    started = time.monotonic()
    load_start = load_average()
    tool = "wrk" if args.tool == "wrk" or (args.tool == "auto" and have_wrk()) else "httpx"
    header = [
        f"commit {commit()}, {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {machine()}",
        f"load: {tool} from this process, {CONNECTIONS} connections ({UPLOAD_CONNECTIONS} for "
        f"uploads), one `marea serve`; {args.rounds} rounds of {args.seconds:.0f} s",
    ]
    print("\n".join(header), flush=True)
    rows: list[Row] = []
    with place(args, stream_env(SSE_PAGES)) as where:
        made = build(where, args.teams, args.submissions)
        print(describe(made, where.database.url), flush=True)
        if made.reused:
            raise SystemExit(
                "bench-check adds teams and submissions to its database: name one "
                "that does not exist (it is created, and dropped afterwards)"
            )
        uploader = None
        if "upload" in groups:
            body, boundary = multipart(BUNDLE / "baseline" / "predictions.csv")
            tokens = make_uploaders(where, made.challenge_id, UPLOAD_TEAMS, "Upload")
            uploader = Uploader(tokens, body, boundary)
        with serve(where) as server:
            steps: list[tuple[str, Callable[[], list[Row]]]] = [
                (
                    "board",
                    lambda: http_rows(server, made, groups, args.rounds, args.seconds, tool),
                ),
                ("sse", lambda: [sse_row(server, where, made, args.rounds, tool)]),
                ("judging", lambda: [judging_row(where, max(args.rounds, JUDGED))]),
                (
                    "upload",
                    lambda: [upload_row(server, where, uploader, args.rounds, args.seconds, tool)],
                ),
                ("dispatch", lambda: [dispatch_row(where, args.rounds)]),
            ]
            for group, step in steps:
                if group == "board" and not groups & {"board", "page", "around"}:
                    continue
                if group != "board" and group not in groups:
                    continue
                t0 = time.monotonic()
                got = step()
                rows.extend(got)
                print(f"  {group}: {time.monotonic() - t0:.0f} s", flush=True)
            cpu = cpu_seconds(server.pid)
    load_end = load_average()
    kind = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    recorded: dict[str, Any] = {}
    if args.baseline.exists():
        base = json.loads(args.baseline.read_text())
        recorded = base.get("rows", {})
        print(f"recorded: {args.baseline.name} from commit {base.get('commit')}, "
              f"{base.get('date')}, load average {base.get('load_average')}")  # fmt: skip
        shape = (("database", kind), ("tool", tool), ("rounds", args.rounds),
                 ("seconds", args.seconds))  # fmt: skip
        for what, now in shape:
            if base.get(what, now) != now:
                print(f"WARNING: the baseline was recorded with {what} {base.get(what)}, this run "
                      f"used {now}: the ratios are not comparable")  # fmt: skip
    lines, failed = verdicts(rows, recorded)
    print("ratio of each round:")
    for row in rows:
        if not row.na:
            print(f"  {row.key}: " + ", ".join(f"{r:.3f}" for r in row.ratios()))
    print()
    print("\n".join(lines))
    print()
    print(f"load average (1, 5, 15 min) at start {load_start}, at end {load_end}; "
          f"{time.monotonic() - started:.0f} s in all; web process CPU {cpu:.1f} s")  # fmt: skip
    if args.record:
        merged = dict(recorded)
        for row in rows:
            merged[row.key] = (
                {"label": row.label, "ratio": None, "na": row.na} if row.na else {
                    "label": row.label, "ratio": round(row.ratio, 4),
                    "noise": round(row.noise, 4), "value": round(statistics.median(row.values), 4),
                    "reference": round(statistics.median(row.references), 4), "unit": row.unit,
                    "round_ratios": [round(r, 4) for r in row.ratios()],
                }
            )  # fmt: skip
        args.baseline.write_text(json.dumps({
            "commit": commit(), "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(), "load_average": f"{load_start} | {load_end}", "tool": tool,
            "database": kind,
            "rounds": args.rounds, "seconds": args.seconds, "rows": merged,
        }, indent=2) + "\n")  # fmt: skip
        print(f"recorded the ratios in {args.baseline}")
        return 0
    if failed:
        print("bench-check FAILED: a ratio fell below the recorded one by more than the noise.")
        return 1
    print("bench-check passed.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
