"""/organise: organisers' pages for loading, previewing, publishing and running a challenge.

Every route needs the organiser role (admins pass too), checked once for the whole router;
every change is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.deps import OrganiserUser, ScopeDep, require_organiser
from app.audit.service import events_for, record
from app.audit.words import describe
from app.bundles.load import LoadOutcome
from app.challenges import service as challenges
from app.challenges.models import Challenge, Phase
from app.challenges.web import OrganisedChallenge, organised_challenge_or_404
from app.core.db import utcnow
from app.core.redis import redis_client
from app.core.refusal import Kind, Refusal
from app.core.runtime import Runtime
from app.i18n import localise
from app.i18n.speech import gettext as _
from app.leaderboard.boards import final_count
from app.live.notify import notify_status
from app.notifications import senders
from app.organisers import freeze as freezing
from app.organisers import participation, service
from app.organisers.upload import (
    BundleErrors,
    load_uploaded_zip,
    uploaded_bundle,
)
from app.questions import service as questions
from app.queue.mail_jobs import wake
from app.roles import service as roles
from app.roles.models import Scoped, Source
from app.roles.service import Scope, scope_of
from app.submissions.finals import first_reveal
from app.submissions.models import Status, Submission
from app.text.markdown import render_markdown
from app.web.body_limit import takes_upload
from app.web.deps import EngineDep, RowId, SessionDep, SettingsDep, StoreDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(
    prefix="/organise", tags=["organisers"], dependencies=[Depends(require_organiser)]
)


def _back(request: Request, slug: str) -> RedirectResponse:
    return RedirectResponse(request.url_for("organise_challenge", slug=slug).path, 303)


def _index(page: Page, session: Session, *, status: int = 200, **extra: Any) -> HTMLResponse:
    found = getattr(page.request.state, "scope", None)  # read by require_organiser
    scope = found if isinstance(found, Scope) else scope_of(session, None)
    return page.render(
        "organisers/index.html",
        {"challenges": service.all_challenges(session, roles.managed_ids(session, scope)), **extra},
        status=status,
    )


@router.get("", response_class=HTMLResponse, name="organise_home")
def organise_home(page: PageDep, db: SessionDep) -> HTMLResponse:
    return _index(page, db)


def _upload_guard(scope: Scope) -> Callable[[Session, Challenge | None], Refusal | None]:
    """A person replaces only a challenge they run, and starts a new one only if they may."""

    def guard(session: Session, current: Challenge | None) -> Refusal | None:
        if current is None:
            if scope.admin or scope.site_organiser or scope.events:
                return None
            return Refusal(
                Kind.forbidden,
                _(
                    "You run a challenge but may not start a new one: ask the organisers of "
                    "your event or a site administrator."
                ),
            )
        if roles.manages(session, scope, current):
            return None
        return Refusal(
            Kind.forbidden,
            _(
                "A challenge called {slug} already exists and you do not run it: choose "
                "another slug in challenge.yaml, or ask its organisers to add you as an owner."
            ).format(slug=current.slug),
        )

    return guard


@router.post("/upload", response_class=HTMLResponse, name="organise_upload")
@takes_upload
async def organise_upload(
    request: Request,
    user: OrganiserUser,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    engine: EngineDep,
    store: StoreDep,
    scope: ScopeDep,
) -> Response:
    """The zip in the multipart field `bundle` (and the optional zip of hidden files in
    `hidden`), read here (not as parameters) so that the organiser is checked and the size
    capped before the body is read."""
    runtime = Runtime(settings, engine, store)
    zips = await uploaded_bundle(request, settings.upload_max_bytes)
    if isinstance(zips, Refusal):
        return _index(page, db, status=status_of(zips), problem=zips.message)
    bundle, hidden = zips.bundle, zips.hidden
    try:
        result = await run_in_threadpool(
            load_uploaded_zip,
            runtime,
            bundle.file,
            bundle.filename or "",
            hidden.file if hidden is not None else None,
            hidden.filename or "" if hidden is not None else "",
            _upload_guard(scope),
        )
    finally:
        await zips.close()
    if isinstance(result, Refusal):
        return _index(page, db, status=status_of(result), problem=result.message)
    if isinstance(result, BundleErrors):
        return _index(page, db, status=422, bundle_errors=result.errors)
    assert isinstance(result, LoadOutcome)
    if result.action == "created" and not scope.admin:  # who starts a challenge runs it
        new = challenges.challenge_by_slug(db, result.slug)
        assert new is not None
        roles.give(db, user, user.email, Scoped.owner, challenge=new, source=Source.upload)
        scope = roles.scope_of(db, user)
    challenge = organised_challenge_or_404(db, scope, result.slug)
    record(
        db,
        user,
        challenge.id,
        "bundle.upload",
        result.slug,
        {
            "action": result.action,
            "version": result.version,
            "filename": bundle.filename,
            "hidden_filename": hidden.filename if hidden is not None else None,
        },
    )
    db.commit()
    return _back(request, result.slug)


@router.get("/{slug}", response_class=HTMLResponse, name="organise_challenge")
def organise_challenge(
    challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _challenge_page(page, db, challenge)


@dataclass(frozen=True)
class PhaseForm:
    """A phase as its date form shows it: each date as the challenge's wall time and fold."""

    phase: Phase
    state: str
    start: tuple[str, int]
    end: tuple[str, int]


def _challenge_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    now = utcnow()
    time_zone = service.time_zone_of(challenge)
    return page.render(
        "organisers/challenge.html",
        {
            "challenge": challenge,
            "phases": [
                PhaseForm(
                    p,
                    challenges.phase_state(p, now),
                    service.form_value(p.start, time_zone),
                    service.form_value(p.end, time_zone),
                )
                for p in challenges.phases_of(db, challenge.id)
            ],
            "zone_name": time_zone,
            "queue": service.queue_figures(db, challenge.id),
            "finals_locked_at": first_reveal(db, challenge),
            "questions_waiting": questions.waiting_count(db, challenge.id),
            "problem": problem,
            "has_board": freezing.no_board(challenge) is None,
        },
        status=status,
    )


@router.get("/{slug}/preview", response_class=HTMLResponse, name="organise_preview")
def organise_preview(
    challenge: OrganisedChallenge,
    db: SessionDep,
    html: PageDep,
    page: str = "overview",
) -> HTMLResponse:
    """The public challenge page as it will look, drafts included."""
    assert challenge.id is not None
    if page not in challenges.PAGE_NAMES:
        raise HTTPException(
            404, f"Unknown page {page!r}; choose one of {', '.join(challenges.PAGE_NAMES)}."
        )
    phases = challenges.phases_of(db, challenge.id)
    now = utcnow()
    lang = html.lang
    return html.render(
        "organisers/preview.html",
        {
            "challenge": challenge,
            "page": page,
            "page_names": challenges.PAGE_NAMES,
            "body": render_markdown(challenges.page_markdown(challenge, page, lang, phases)),
            "phases": [(p, challenges.phase_state(p, now)) for p in phases],
            "files": challenges.public_files(db, challenge.id) if page == "data" else [],
            "now": now,
            "source_html": render_markdown(localise(challenge.config.get("source"), lang)),
        },
    )


@router.post("/{slug}/publish", name="organise_publish")
def organise_publish(
    request: Request, user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep
) -> Response:
    service.set_published(db, user, challenge, True)
    db.commit()
    return _back(request, challenge.slug)


@router.post("/{slug}/unpublish", name="organise_unpublish")
def organise_unpublish(
    request: Request, user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep
) -> Response:
    service.set_published(db, user, challenge, False)
    db.commit()
    return _back(request, challenge.slug)


@router.post("/{slug}/phases/{phase}", name="organise_phase_dates")
def organise_phase_dates(
    request: Request,
    phase: str,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    start: str = Form(),
    end: str = Form(),
    start_fold: str = Form(""),
    end_fold: str = Form(""),
) -> Response:
    """The dates are the challenge's wall times; the folds come back from hidden fields."""
    db.rollback()  # the challenge lock must open the transaction
    folds = (int(start_fold == "1"), int(end_fold == "1"))
    outcome = service.change_phase_dates(db, user, challenge, phase, start, end, folds)
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _challenge_page(page, db, challenge, status=status, problem=outcome.message)
    db.commit()
    return _back(request, challenge.slug)


@router.get("/{slug}/audit", response_class=HTMLResponse, name="organise_audit")
def organise_audit(challenge: OrganisedChallenge, db: SessionDep, page: PageDep) -> HTMLResponse:
    """Each event as a sentence in the reader's language (`app.audit.words`)."""
    assert challenge.id is not None
    teams = {t.id: t.name for t in participation.teams_of(db, challenge.id) if t.id is not None}
    lines = describe(events_for(db, challenge.id), teams, service.time_zone_of(challenge))
    return page.render("organisers/audit.html", {"challenge": challenge, "lines": lines})


def _participation_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    assert challenge.id is not None
    return page.render(
        "organisers/participation.html",
        {
            "challenge": challenge,
            "approval": bool((challenge.config.get("teams") or {}).get("approval")),
            "teams": participation.team_facts(db, challenge),
            "submissions": participation.recent_submissions(db, challenge.id, limit=20),
            "problem": problem,
        },
        status=status,
    )


def _participation_done(page: Page, db: Session, challenge: Challenge, outcome: object) -> Response:
    if isinstance(outcome, Refusal):
        db.rollback()
        status = status_of(outcome)
        return _participation_page(page, db, challenge, status=status, problem=outcome.message)
    db.commit()
    return RedirectResponse(
        page.request.url_for("organise_participation", slug=challenge.slug).path, 303
    )


@router.get("/{slug}/teams", response_class=HTMLResponse, name="organise_participation")
def organise_participation(
    challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    return _participation_page(page, db, challenge)


@router.get("/{slug}/submissions", response_class=HTMLResponse, name="organise_submissions")
def organise_submissions(
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    team: str = "",
    status: str = "",
    phase: str = "",
    number: int = Query(1, alias="page", ge=1, le=1_000_000),
) -> HTMLResponse:
    """Every submission, newest first, narrowed by team, status and phase, a page at a time.

    Filters a form left at "any" sends as empty strings; what is not a known team number or
    status is ignored rather than refused, so an old bookmark still shows a list."""
    assert challenge.id is not None
    chosen = participation.SubmissionFilter.read(team, status, phase)
    found = participation.submission_page(db, challenge, chosen, number)
    query = {
        k: v
        for k, v in (
            ("team", "" if chosen.team_id is None else str(chosen.team_id)),
            ("status", "" if chosen.status is None else chosen.status.value),
            ("phase", chosen.phase or ""),
        )
        if v
    }
    return page.render(
        "organisers/submissions.html",
        {
            "challenge": challenge,
            "chosen": chosen,
            "found": found,
            "query": query,
            "teams": participation.teams_of(db, challenge.id),
            "phase_names": [p.name for p in challenges.phases_of(db, challenge.id)],
            # what each phase is called on the page: its title, not its bundle key
            "phase_titles": {p.name: p.title for p in challenges.phases_of(db, challenge.id)},
            "statuses": [s.value for s in Status],
        },
    )


@router.post("/{slug}/teams/{team_id}/approve", name="organise_approve_team")
def organise_approve_team(
    team_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
) -> Response:
    outcome = participation.approve_team(db, user, challenge, team_id)
    return _participation_done(page, db, challenge, outcome)


@router.post("/{slug}/teams/{team_id}/disqualify", name="organise_disqualify_team")
def organise_disqualify_team(
    team_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    reason: str = Form(""),
) -> Response:
    outcome = participation.disqualify_team(db, user, challenge, team_id, reason)
    return _participation_done(page, db, challenge, outcome)


@router.post("/{slug}/teams/{team_id}/reinstate", name="organise_reinstate_team")
def organise_reinstate_team(
    team_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
) -> Response:
    outcome = participation.reinstate_team(db, user, challenge, team_id)
    return _participation_done(page, db, challenge, outcome)


@router.post("/{slug}/submissions/{submission_id}/cancel", name="organise_cancel_submission")
def organise_cancel_submission(
    submission_id: RowId,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    engine: EngineDep,
    reason: str = Form(""),
) -> Response:
    outcome = participation.cancel_submission(db, user, challenge, submission_id, reason)
    response = _participation_done(page, db, challenge, outcome)
    if isinstance(outcome, Submission):  # committed: tell the team's live page
        notify_status(engine, redis_client(settings), submission_id)
    return response


@router.post("/{slug}/freeze", name="organise_freeze")
def organise_freeze(
    request: Request,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    at: str = Form(""),
) -> Response:
    """Freeze now, or at a moment typed in the challenge's time zone (a time in the past
    freezes the board as it was then)."""
    refused = freezing.no_board(challenge)
    if refused is not None:
        return _challenge_page(
            page, db, challenge, status=status_of(refused), problem=refused.message
        )
    when = service.parse_when(at, service.time_zone_of(challenge)) if at.strip() else None
    if isinstance(when, Refusal):
        return _challenge_page(page, db, challenge, status=422, problem=when.message)
    freezing.freeze(db, user, challenge, when)
    db.commit()
    return _back(request, challenge.slug)


@router.post("/{slug}/unfreeze", name="organise_unfreeze")
def organise_unfreeze(
    request: Request, user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep
) -> Response:
    freezing.unfreeze(db, user, challenge)  # a challenge without a board is never frozen
    db.commit()
    return _back(request, challenge.slug)


def _reveal_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    phases = freezing.exposure(db, challenge)
    return page.render(
        "organisers/reveal.html",
        {
            "challenge": challenge,
            "phases": phases,
            "not_over": [e for e in phases if not e.over],
            "private_total": sum(e.private_scored for e in phases),
            "final_limit": final_count(challenge),
            "problem": problem,
        },
        status=status,
    )


@router.get("/{slug}/reveal", response_class=HTMLResponse, name="organise_reveal_confirm")
def organise_reveal_confirm(
    challenge: OrganisedChallenge, db: SessionDep, page: PageDep
) -> HTMLResponse:
    """What revealing exposes and locks, with the button that does it."""
    refused = freezing.no_board(challenge)
    if refused is not None:
        return _challenge_page(
            page, db, challenge, status=status_of(refused), problem=refused.message
        )
    return _reveal_page(page, db, challenge)


@router.post("/{slug}/reveal", name="organise_reveal")
def organise_reveal(
    request: Request,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    confirm: str = Form(""),
    early: str = Form(""),
) -> Response:
    """Reveal after the confirmation page: `confirm`, and `early` while a phase is not over."""
    db.rollback()  # the challenge lock must open the transaction
    refused = freezing.reveal(db, user, challenge, confirmed=confirm == "yes", early=early == "yes")
    if refused is not None:
        db.rollback()
        return _reveal_page(page, db, challenge, status=status_of(refused), problem=refused.message)
    db.commit()  # the reveal, exactly as before there were mails; they follow in their own
    mails = senders.results_published(db, settings, challenge)
    db.commit()
    wake(settings, mails)
    return _back(request, challenge.slug)


@router.post("/{slug}/hide-private", name="organise_hide_private")
def organise_hide_private(
    request: Request, user: OrganiserUser, challenge: OrganisedChallenge, db: SessionDep
) -> Response:
    """Hiding stays possible; the final choices stay locked (see `app.submissions.finals`).

    Like every audited action, the commit tells every web process to drop the
    challenge's state and boards (`app.live.announce`), so none keeps serving a
    cached private board.
    """
    freezing.hide_private(db, user, challenge)
    db.commit()
    return _back(request, challenge.slug)
