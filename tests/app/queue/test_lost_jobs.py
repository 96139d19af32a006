"""Jobs a killed worker leaves where RQ would never run them again are dispatched anew.

RQ pops a job off the queue before forking the work horse, and the horse marks it started
before our job function claims the submission. A worker host SIGKILLed inside either window
leaves the submission `queued` with a job that Redis still has but no worker will run (found
by the chaos suite, tests/chaos): the sweeper must notice and dispatch it again.
"""

from __future__ import annotations

from pathlib import Path

from rq.job import Job

from app.queue.connection import judge_queue
from app.submissions.models import Status
from tests.app.queue.conftest import VALID_BUNDLE, Stack, make_bundle

BASELINE = VALID_BUNDLE / "baseline" / "predictions.csv"


def _popped_by_a_worker_that_died(stack: Stack, submission_id: int) -> Job:
    """Take the job off the queue as a worker's BLPOP does, and run nothing."""
    queue = judge_queue(stack.runtime.settings, stack.redis)
    job_id = stack.submission(submission_id).job_id
    assert job_id is not None and queue.job_ids == [job_id]
    assert stack.redis.lrem(queue.key, 1, job_id) == 1
    return Job.fetch(job_id, connection=stack.redis)


def test_a_job_popped_by_a_worker_killed_before_its_horse_started_is_sent_again(
    stack: Stack, tmp_path: Path
) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    submission_id = stack.submit(challenge, stack.team(challenge, "Murene"), BASELINE)
    assert stack.dispatch() == [submission_id]
    lost = _popped_by_a_worker_that_died(stack, submission_id)
    assert lost.get_status() == "queued"  # what RQ says, yet no queue holds it
    stack.start_worker()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.scored,
        60,
        "the popped job's submission to be dispatched again and scored",
    )
    row = stack.submission(submission_id)
    assert row.attempts == 1 and row.job_id != lost.id


def test_a_job_started_by_a_horse_killed_before_its_claim_is_sent_again(
    stack: Stack, tmp_path: Path
) -> None:
    challenge = stack.load(make_bundle(tmp_path / "bundle"))
    submission_id = stack.submit(challenge, stack.team(challenge, "Razze"), BASELINE)
    assert stack.dispatch() == [submission_id]
    lost = _popped_by_a_worker_that_died(stack, submission_id)
    with stack.redis.pipeline() as pipeline:  # what the horse writes before running the job
        lost.prepare_for_execution("a-worker-killed-with-its-horse", pipeline)
        pipeline.execute()
    assert Job.fetch(lost.id, connection=stack.redis).get_status() == "started"
    stack.start_worker()
    stack.wait_for(
        lambda: stack.submission(submission_id).status == Status.scored,
        60,
        "the started-but-never-claimed submission to be dispatched again and scored",
    )
    row = stack.submission(submission_id)
    assert row.attempts == 1 and row.job_id != lost.id
