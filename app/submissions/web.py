"""Receiving a submission over HTTP: the one upload path of the API and the web form.

Shared by `app.api.submissions` and `app.submissions.pages`, so it sits at their level (it
speaks HTTP: refusals are raised as `Refused`, with the statuses of `app.web.errors`, and it hands the accepted
submission to the queue); neither imports the other.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Phase
from app.core.redis import redis_client
from app.core.refusal import Refusal
from app.core.settings import Settings
from app.core.store import Store
from app.live.notify import notify_status
from app.queue.intake import submitted
from app.submissions.context import choose_phase, precheck, require_team, submit_context
from app.submissions.models import Submission
from app.submissions.upload import Upload, accept_submission, receive_upload
from app.teams.models import Team
from app.web.errors import Refused


async def receive_submission(
    request: Request,
    user: User,
    slug: str,
    phase: str | None,
    *,
    engine: Engine,
    settings: Settings,
    store: Store,
) -> Submission:
    """The whole upload path shared by the API and the web form; raises `Refused` on refusal.

    Refusals that need no body (no team, phase closed, quota spent, declared size over the
    cap) come before a byte of the upload is read. The engine, settings and store are the
    route's typed dependencies, passed on.
    """
    assert user.id is not None
    user_id = user.id

    def before_upload() -> tuple[Phase | None, Team]:
        with Session(engine, expire_on_commit=False) as session:
            context = submit_context(session, slug, user_id)
            if isinstance(context, Refusal):
                raise Refused(context)
            team = require_team(context)
            if isinstance(team, Refusal):
                raise Refused(team)
            chosen = choose_phase(context, phase)
            if isinstance(chosen, Refusal):
                if phase is None and chosen.code == "phase_closed":
                    return None, team  # the form may still name a phase
                raise Refused(chosen)
            refused = precheck(session, chosen, team)
            if refused is not None:
                raise Refused(refused)
            return chosen, team

    chosen, team = await run_in_threadpool(before_upload)
    picked: list[Phase] = []

    def phase_of_form(fields: dict[str, str]) -> None:
        """The phase the form names (if any), refused before the file is stored when closed."""
        form_phase = fields.get("phase", "").strip() or None
        if chosen is not None and form_phase in (None, chosen.name):
            picked.append(chosen)
            return
        with Session(engine, expire_on_commit=False) as session:
            context = submit_context(session, slug, user_id)
            if isinstance(context, Refusal):
                raise Refused(context)
            named = choose_phase(context, form_phase)
            if isinstance(named, Refusal):
                raise Refused(named)
            refused = precheck(session, named, team)
            if refused is not None:
                raise Refused(refused)
            picked.append(named)

    async def check_fields(fields: dict[str, str]) -> Refusal | None:
        await run_in_threadpool(phase_of_form, fields)
        return None

    upload = await receive_upload(
        request, store, max_bytes=settings.upload_max_bytes, check_fields=check_fields
    )
    if isinstance(upload, Refusal):
        raise Refused(upload)
    made: Submission = await run_in_threadpool(
        _accept, engine, settings, user, picked[0], team, upload
    )
    return made


def _accept(
    engine: Engine, settings: Settings, user: User, chosen: Phase, team: Team, upload: Upload
) -> Submission:
    """Create the submission from a stored upload, then tell and dispatch; raises on refusal."""
    assert user.id is not None
    made = accept_submission(
        engine, settings, phase=chosen, team=team, user_id=user.id, upload=upload
    )
    if isinstance(made, Refusal):
        raise Refused(made)
    assert made.id is not None
    submitted(engine, settings, made.id)
    return made


def announce(engine: Engine, settings: Settings, submission_id: int) -> None:
    """Tell live pages of a change the web process made (a cancel); best effort, as after an
    upload: the database already holds the change, and the pages read it on their next load."""
    try:
        notify_status(engine, redis_client(settings), submission_id)
    except Exception:  # Redis away
        return
