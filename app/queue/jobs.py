"""The judging job of a participant's submission, run by RQ workers.

The skeleton (claim, heartbeat, judge, retry) is `app.queue.runner`'s, shared
with rescore items; what is a submission's own is plugged in here: the team
hears of every state change, a result may change the boards (and is recorded
by `app.queue.results`), an engine outage does not use up an attempt, and the
next submissions are picked fairly (`app.queue.dispatch`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.redis import redis_client
from app.core.runtime import Runtime
from app.live.notify import notify_status
from app.queue.connection import judge_queue
from app.queue.dispatch import dispatch
from app.queue.live_logs import LiveTail
from app.queue.mail_jobs import mail_result
from app.queue.requests import prepare_request
from app.queue.results import record_result
from app.queue.runner import JobKind, run_job
from app.submissions.lifecycle import SUBMISSIONS
from app.submissions.models import Status, Submission
from judging import JudgeRequest, JudgeResult, Message


class SubmissionJobs(JobKind[Status]):
    rows = SUBMISSIONS
    what = "submission"
    workdir_prefix = "sub"
    refunds_engine_outages = True

    def request(
        self, runtime: Runtime, session: Session, row_id: int, workdir: Path
    ) -> JudgeRequest:
        submission = session.get(Submission, row_id)
        assert submission is not None
        request = prepare_request(
            runtime, session, submission, workdir, {"marea.submission": str(row_id)}
        )
        ingestion = request.ingestion
        if ingestion is None or not ingestion.team_sees_output:
            return request  # nothing of the run may reach the team while it runs either
        live = LiveTail(redis_client(runtime.settings), row_id)
        return dataclasses.replace(request, ingestion=dataclasses.replace(ingestion, live=live))

    def record(
        self, runtime: Runtime, client: redis.Redis, row_id: int, attempt: int, result: JudgeResult
    ) -> str:
        changed = record_result(runtime, row_id, attempt, result)
        notify_status(runtime.engine, client, row_id, boards=changed)
        mail_result(runtime, row_id)
        return result.status

    def hand_out_next(self, runtime: Runtime, client: redis.Redis) -> None:
        settings = runtime.settings
        dispatch(
            runtime.engine,
            judge_queue(settings, client),
            depth=settings.dispatch_depth,
            team_cap=settings.team_concurrency,
        )

    def gave_up_message(self, attempts: int, reason: Message, *, worker_died: bool) -> Message:
        """The team learns it was not their code (the reason is for the history, not them)."""
        return Message("gave_up_worker_died" if worker_died else "gave_up", {"attempts": attempts})

    def announce(self, engine: Engine, client: redis.Redis, row_id: int) -> None:
        notify_status(engine, client, row_id)


SUBMISSION_JOBS = SubmissionJobs()


def judge_submission(submission_id: int) -> str:
    """Entry point run by RQ workers (`JOB_FUNCTION`)."""
    return run_job(SUBMISSION_JOBS, submission_id)
