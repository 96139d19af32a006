"""`marea worker` with a stopwatch on each step of judging, for queue_bench.py --trace.

Where does the time of one trivial submission go? Sampling (py-spy) sees little of a job
that lasts half a second in a freshly forked process, so this wraps the functions each step
runs (RQ's fork and bookkeeping, the job's claim, store copy and result transaction, the
sandbox's Docker calls, the events) in timers that append one JSON line per call to the file
named by BENCH_TRACE_FILE: `{"name", "pid", "t0", "t1", "arg"}` with wall-clock times, so
lines from the supervisor, its RQ worker and each work horse line up. The wrappers are
installed before the worker forks, so every process inherits them. Nothing else changes: the
same Supervisor runs, with the same settings (MAREA_* variables).

Run by queue_bench.py; alone: BENCH_TRACE_FILE=/tmp/t.jsonl python bench/trace_worker.py 1
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_fd: int | None = None


def _emit(record: dict[str, Any]) -> None:
    global _fd
    if _fd is None:
        _fd = os.open(os.environ["BENCH_TRACE_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(_fd, (json.dumps(record) + "\n").encode())  # O_APPEND: whole lines, any process


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.time()
        try:
            return function(*args, **kwargs)
        finally:
            arg = next((a for a in args if isinstance(a, int) and not isinstance(a, bool)), None)
            _emit({"name": name, "pid": os.getpid(), "t0": t0, "t1": time.time(), "arg": arg})

    return wrapper


def wrap(owner: Any, attribute: str, name: str) -> None:
    setattr(owner, attribute, timed(name, getattr(owner, attribute)))


def install() -> None:
    """The steps of one judged submission, in the order they run."""
    import docker
    import rq
    import sqlalchemy.orm
    from sqlalchemy.engine.default import DefaultDialect

    import app.queue.jobs as jobs
    import app.queue.requests as requests
    import app.queue.results as results
    import app.queue.runner as runner_job
    import judging.pipeline as pipeline
    import sandbox.runner as runner
    from app.core.claimable import Claimable
    from app.core.store import LocalStore

    worker = rq.Worker
    wrap(worker, "dequeue_job_and_maintain_ttl", "rq: wait for a job (BLPOP)")
    wrap(worker, "fork_work_horse", "rq: fork the work horse")
    wrap(worker, "perform_job", "rq: work horse, whole job")
    wrap(worker, "prepare_job_execution", "rq: mark the job started")
    wrap(worker, "handle_job_success", "rq: record the job's success")
    wrap(worker, "monitor_work_horse", "rq: wait for the work horse to exit")
    wrap(jobs, "judge_submission", "job: judge_submission")
    wrap(runner_job, "open_runtime", "job: open the runtime (settings, engine)")
    wrap(Claimable, "claim", "job: claim the submission (transaction)")
    wrap(jobs, "notify_status", "job: publish a status event")
    wrap(jobs, "prepare_request", "job: prepare the request")
    wrap(requests, "challenge_dirs", "job: challenge files in the work dir")
    wrap(LocalStore, "copy_to", "job: copy the upload from the store")
    wrap(runner_job, "judge", "judging: judge()")
    wrap(pipeline._Judging, "_prepare", "judging: hash data and scorer (provenance)")
    wrap(pipeline._Judging, "_score", "judging: scoring step")
    wrap(pipeline, "read_scores", "judging: read scores.json")
    wrap(runner, "connect", "sandbox: connect to the engine (ping)")
    wrap(runner, "_resolve_image", "sandbox: inspect the image")
    wrap(runner, "_create", "sandbox: create the container")
    wrap(docker.APIClient, "start", "sandbox: start the container")
    wrap(docker.APIClient, "inspect_container", "sandbox: inspect the container")
    wrap(runner, "_start_command", "sandbox: exec create + start the scorer")
    wrap(runner, "_wait_for_exit", "sandbox: scorer runs (wait for exit)")
    wrap(runner, "_memory", "sandbox: read peak memory")
    wrap(runner, "_collect_outputs", "sandbox: copy outputs out (exec tar)")
    wrap(runner, "_drain", "sandbox: drain the streams")
    wrap(runner, "_exit_code", "sandbox: exit code")
    wrap(runner, "_oom_killed", "sandbox: OOM check")
    wrap(runner, "remove", "sandbox: remove the container")
    wrap(jobs, "record_result", "job: record the result")
    wrap(LocalStore, "put_bytes", "job: store the logs")
    wrap(Claimable, "finish", "job: finish (guarded status update)")
    wrap(results, "_record_scores", "job: scores and board entry")
    wrap(jobs, "dispatch", "job: dispatch the next submissions")
    wrap(DefaultDialect, "connect", "db: open a connection")
    wrap(sqlalchemy.orm.Session, "commit", "db: commit")


def main() -> None:
    install()
    if os.environ.get("BENCH_CONFIGURE_MAPPERS"):
        # An experiment, not what `marea worker` does: configure the ORM once in the parent,
        # so each forked work horse inherits it instead of doing it again.
        import sqlalchemy.orm

        import app.models  # noqa: F401

        sqlalchemy.orm.configure_mappers()
    import logging

    from app.core.settings import get_settings
    from app.queue.worker import Supervisor

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    Supervisor(get_settings(), int(sys.argv[1]) if len(sys.argv) > 1 else 1).run()


if __name__ == "__main__":
    main()
