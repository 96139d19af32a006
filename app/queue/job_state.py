"""Whether Redis still holds a live job: the sweeper's test for work that no worker will finish.

Asked only about jobs whose row is still `queued` in the database, i.e. not yet claimed. A
job is lost when Redis no longer has it (flushed, restarted), when it failed or was stopped,
and also when it is stuck where RQ itself would leave it for a long time or for ever:

- *started* but never claimed: a work horse claims its submission first thing, so a job
  started longer than `patience_s` ago whose row still waits had its horse killed before
  the claim, together with the worker that would have marked it failed;
- *taken off the queue but never started*: RQ pops a job before forking the horse, so a
  worker killed in between leaves a queued job in no list at all. Such a job is noted the
  first time it is seen out of its queue and called lost once `patience_s` has passed.

A live job wrongly called lost costs nothing but time: the claim is guarded by the job id,
so the old job does nothing once the submission has been dispatched again.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue

DEAD_JOB_STATES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
OUT_OF_QUEUE_KEY = "marea:out-of-queue:{job_id}"
OUT_OF_QUEUE_TTL_S = 86400


def job_is_lost(client: redis.Redis, job_id: str, patience_s: float) -> bool:
    try:
        job = Job.fetch(job_id, connection=client)
    except NoSuchJobError:
        return True
    status = job.get_status(refresh=False)
    if status in DEAD_JOB_STATES:
        return True
    if status == JobStatus.STARTED:
        started = job.started_at or job.last_heartbeat
        return started is None or _age_s(started) > patience_s
    if status == JobStatus.QUEUED and not _waiting_in_queue(client, job):
        return _out_of_queue_for(client, job_id) > patience_s
    return False


def _age_s(moment: datetime) -> float:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (datetime.now(UTC) - aware).total_seconds()


def _waiting_in_queue(client: redis.Redis, job: Job) -> bool:
    key = Queue(job.origin, connection=client).key
    return client.lpos(key, job.id) is not None


def _out_of_queue_for(client: redis.Redis, job_id: str) -> float:
    """Seconds since this job was first seen queued but in no queue (0 the first time)."""
    key = OUT_OF_QUEUE_KEY.format(job_id=job_id)
    now = time.time()
    client.set(key, now, nx=True, ex=OUT_OF_QUEUE_TTL_S)
    first = client.get(key)
    return now - float(first) if first is not None else 0.0
