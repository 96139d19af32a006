"""Whether Redis still holds a job: the sweeper's test for work lost in a flush or restart."""

from __future__ import annotations

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

DEAD_JOB_STATES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def job_is_lost(client: redis.Redis, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=client)
    except NoSuchJobError:
        return True
    return job.get_status(refresh=False) in DEAD_JOB_STATES
