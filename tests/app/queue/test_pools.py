"""Compute pools with real workers, Redis, Docker and a database: each pool is its own queue,
and a worker takes only the jobs of the pools it serves."""

from __future__ import annotations

import os
from pathlib import Path

from ruamel.yaml import YAML
from sqlmodel import Session, select

from app.core.hosts import memory_mb, read_worker_health
from app.models import Challenge, Phase
from app.queue.connection import judge_queue
from app.submissions.models import Status
from tests.app.queue.conftest import VALID_BUNDLE, Stack, make_bundle

BASELINE = VALID_BUNDLE / "baseline" / "predictions.csv"


def _pooled_bundle(dest: Path, slug: str, pool: str | None) -> Path:
    """The open test bundle under another slug, its challenge in `pool` (None: no compute key)."""
    make_bundle(dest)
    yaml = YAML()
    config = yaml.load((dest / "challenge.yaml").read_text())
    config["slug"] = slug
    if pool is not None:
        config["compute"] = {"pool": pool}
    with (dest / "challenge.yaml").open("w") as fh:
        yaml.dump(config, fh)
    return dest


def _two_pools(stack: Stack, tmp_path: Path) -> tuple[int, int]:
    """One submission in the default pool, one in the gpu pool, both dispatched."""
    plain = stack.load(_pooled_bundle(tmp_path / "plain", "plain-waves", None))
    gpu = stack.load(_pooled_bundle(tmp_path / "gpu", "gpu-waves", "gpu"))
    with Session(stack.runtime.engine) as session:
        pools = {
            c.slug: p.pool
            for p, c in session.exec(
                select(Phase, Challenge).join(Challenge, Challenge.id == Phase.challenge_id)
            )
        }
    assert pools == {"plain-waves": "default", "gpu-waves": "gpu"}
    in_default = stack.submit(plain, stack.team(plain, "Delfini"), BASELINE)
    in_gpu = stack.submit(gpu, stack.team(gpu, "Balene"), BASELINE)
    assert sorted(stack.dispatch()) == sorted([in_default, in_gpu])
    settings = stack.runtime.settings
    assert judge_queue(settings, stack.redis).job_ids != []
    assert judge_queue(settings, stack.redis, "gpu").name == f"{settings.queue_name}-pool-gpu"
    assert len(judge_queue(settings, stack.redis, "gpu").job_ids) == 1
    return in_default, in_gpu


def test_a_gpu_pool_worker_takes_only_gpu_pool_jobs_and_announces_itself(
    stack: Stack, tmp_path: Path
) -> None:
    in_default, in_gpu = _two_pools(stack, tmp_path)
    stack.start_worker(pools=("gpu",), MAREA_WORKER_GPUS="2")
    stack.wait_for(
        lambda: stack.submission(in_gpu).status == Status.scored, 90, "the gpu pool's submission"
    )
    row = stack.submission(in_default)
    assert row.status == Status.queued and row.job_id is not None  # waiting in its own queue
    assert judge_queue(stack.runtime.settings, stack.redis).count == 1
    health = read_worker_health(stack.redis)
    assert [h["pools"] for h in health] == [["gpu"]]
    assert health[0]["capacity"] == {
        "cpus": os.cpu_count(),
        "memory_mb": memory_mb(),
        "gpus": 2,
    }
    assert isinstance(health[0]["capacity"], dict) and health[0]["capacity"]["memory_mb"] > 0


def test_a_default_pool_worker_never_takes_a_gpu_pool_job(stack: Stack, tmp_path: Path) -> None:
    in_default, in_gpu = _two_pools(stack, tmp_path)
    stack.start_worker()  # no --pool: the default pool alone
    stack.wait_for(
        lambda: stack.submission(in_default).status == Status.scored, 90, "the default pool's one"
    )
    row = stack.submission(in_gpu)
    assert row.status == Status.queued and row.job_id is not None
    assert len(judge_queue(stack.runtime.settings, stack.redis, "gpu").job_ids) == 1
    health = read_worker_health(stack.redis)
    assert [h["pools"] for h in health] == [["default"]]
    assert health[0]["capacity"]["gpus"] == 0  # type: ignore[index]


def test_a_pool_name_a_bundle_could_not_write_is_refused_at_start() -> None:
    import subprocess

    from tests.app.queue.conftest import MAREA

    done = subprocess.run(
        [MAREA, "worker", "--pool", "GPU_big"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "'GPU_big' is not a pool name" in done.stderr
