"""The project pages: a team's form and its versions, the gallery, a project, its files.

/challenges/{slug}/project is the team's own page (its members only): the form, whose every
save is a new version, and the list of versions with their times. The gallery and the
project pages show what `service.can_see` lets the reader see; a file is served inert
(an attachment, `nosniff`, a sandboxing CSP), except the images, which were re-encoded when
saved and are shown inline with the type their bytes proved. The captain's opt-out and the
organisers' publication of the gallery are small POSTs that come back with a flash.

The form is multipart: it is read under the body cap the site gives upload routes, each file
under the bundle's cap, and checked by `app.projects.files` before anything is stored; the
work after reading the body (checks, store, database) runs in a worker thread.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.accounts.deps import CurrentUser, OptionalUser, OrganiserUser, require_organiser
from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.service import challenge_by_slug, phase_state
from app.challenges.web import OrganisedChallenge, PublishedChallenge
from app.core.capped import ByteCap, TooLarge, declared_length
from app.core.refusal import Kind, Refusal
from app.core.store import Store, check_digest
from app.i18n.speech import gettext as _
from app.i18n.speech import number
from app.projects import files as checks
from app.projects import service
from app.projects.models import DESCRIPTION_MAX, SUMMARY_MAX, TITLE_MAX, Project
from app.roles.service import user_manages
from app.teams.models import Team
from app.teams.service import team_of
from app.text.attachment import attachment
from app.text.markdown import render_markdown
from app.text.plain_text import without_hidden_controls
from app.web.body_limit import FORM_OVERHEAD_BYTES, takes_upload
from app.web.deps import EngineDep, RowId, SessionDep, SettingsDep, StoreDep
from app.web.errors import Refused, status_of
from app.web.page import Page, PageDep

router = APIRouter(tags=["projects"])
organise_router = APIRouter(
    prefix="/organise", tags=["projects"], dependencies=[Depends(require_organiser)]
)
NOTICE = "projects_notice"
MAX_FORM_FIELDS = 80
COPY_CHUNK = 1024 * 1024
# A served file runs nothing, embeds nothing and, opened on its own, is its own null origin.
FILE_CSP = "sandbox; default-src 'none'"


def _team_or_404(db: Session, challenge: Challenge, user: User) -> Team:
    assert challenge.id is not None and user.id is not None
    team = team_of(db, challenge.id, user.id)
    if team is None:
        raise Refused(
            Refusal(
                Kind.not_found,
                _(
                    "You are in no team of this challenge: form or join a team to hand in a project."
                ),
                "no_team",
            )
        )
    return team


def _rules_or_404(challenge: Challenge) -> service.Rules:
    rules = service.rules_of(challenge)
    if rules is None:
        raise Refused(
            Refusal(Kind.not_found, _("This challenge has no project phase."), "no_project_phase")
        )
    return rules


def _form_context(
    db: Session, challenge: Challenge, team: Team, user: User, rules: service.Rules
) -> dict[str, Any]:
    assert challenge.id is not None and team.id is not None
    project = service.project_of(db, challenge.id, team.id)
    all_versions = service.versions(db, project) if project is not None else []
    members = service.member_names(db, service.team_member_ids(db, team.id))
    phase = service.project_phase(db, challenge)
    return {
        "challenge": challenge,
        "team": team,
        "user": user,
        "rules": rules,
        "phase": phase,
        "phase_state": phase_state(phase) if phase is not None else None,
        "closed": service.closed(db, challenge),
        "project": project,
        "versions": all_versions,
        "latest": all_versions[0] if all_versions else None,
        "judged": service.judged_version(db, project) if project is not None else None,
        "members": members,
        "link_labels": {k: service.link_label(k) for k in rules.links},
        "accept": ",".join(checks.MEDIA_TYPES[t] for t in sorted(rules.types)),
        "max_mb": number(rules.max_bytes // service.MB),
        "limits": {"title": TITLE_MAX, "summary": SUMMARY_MAX, "description": DESCRIPTION_MAX},
    }


def _form_page(
    page: Page,
    db: Session,
    challenge: Challenge,
    team: Team,
    user: User,
    *,
    problem: Refusal | None = None,
    typed: service.Draft | None = None,
) -> HTMLResponse:
    rules = _rules_or_404(challenge)
    context = _form_context(db, challenge, team, user, rules)
    latest = context["latest"]
    if typed is None:
        typed = service.Draft(
            title=latest.title if latest else "",
            summary=latest.summary if latest else "",
            description=latest.description if latest else "",
            links=dict(latest.links) if latest else {},
            licence=latest.licence if latest else "",
            built_with=", ".join(latest.built_with) if latest else "",
            credited=list(latest.credited) if latest else list(context["members"]),
            keep=[f["sha256"] for f in latest.files] if latest else [],
        )
    context.update(
        typed=typed,
        problem=problem,
        notice=page.request.session.pop(NOTICE, None),
    )
    status = status_of(problem) if problem is not None else 200
    return page.render("projects/form.html", context, status=status)


@router.get("/challenges/{slug}/project", response_class=HTMLResponse, name="project_form")
def project_form(
    user: CurrentUser, challenge: PublishedChallenge, db: SessionDep, page: PageDep
) -> Response:
    """Someone without a team is sent to the team page (the challenge page's "Your project"
    button is for everyone), where they form or join one first."""
    _rules_or_404(challenge)
    assert challenge.id is not None and user.id is not None
    if team_of(db, challenge.id, user.id) is None:
        return RedirectResponse(
            str(page.request.url_for("team_page", slug=challenge.slug)), status_code=303
        )
    team = _team_or_404(db, challenge, user)
    return _form_page(page, db, challenge, team, user)


@dataclass
class _Received:
    draft: service.Draft
    uploads: list[UploadFile]


async def _read_form(request: Request, cap: int) -> _Received | Refusal:
    limit = cap + FORM_OVERHEAD_BYTES
    declared = declared_length(request.headers.get("content-length"))
    too_large = Refusal(
        Kind.too_large,
        _("The form with its files is larger than the {size} MiB this site accepts.").format(
            size=number(round(cap / service.MB, 1))
        ),
        "too_large",
        "files",
    )
    if declared is not None and declared > limit:
        return too_large
    body = ByteCap(limit)
    try:
        form = await Request(request.scope, body.receive(request.receive)).form(
            max_files=service.MAX_FILES_PER_FORM, max_fields=MAX_FORM_FIELDS
        )
    except TooLarge:
        if not body.exceeded:
            raise
        return too_large
    except HTTPException as exc:
        return Refusal(
            Kind.malformed,
            _("The form could not be read ({detail}); send it again.").format(detail=exc.detail),
            "bad_form",
        )

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    links = {
        key.removeprefix("link_"): value
        for key, value in form.multi_items()
        if key.startswith("link_") and isinstance(value, str)
    }
    credited: list[int] = []
    for value in form.getlist("credited"):
        if isinstance(value, str) and value.isdigit() and len(value) < 10:
            credited.append(int(value))
    draft = service.Draft(
        title=text("title"),
        summary=text("summary"),
        description=text("description"),
        links=links,
        licence=text("licence"),
        built_with=text("built_with"),
        credited=credited,
        keep=[v for v in form.getlist("keep") if isinstance(v, str)],
    )
    uploads = [
        f for f in form.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)
    ]
    return _Received(draft, uploads)


def _clean_name(filename: str, kind: str) -> str:
    """The last part of the name sent, ending as its proven type does: a file that proved to
    be a PDF is never saved to a visitor's disk as `page.html`."""
    name = without_hidden_controls(filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = name[:200] or "file"
    suffix = Path(name).suffix.lower()
    fits = {"jpeg": (".jpg", ".jpeg")}.get(kind, (checks.EXTENSIONS[kind],))
    return name if suffix in fits else name + checks.EXTENSIONS[kind]


def _spool(upload: UploadFile, store: Store, max_bytes: int) -> Path | None:
    """The upload copied to a local file under the cap; None when it passes the cap."""
    fd, name = tempfile.mkstemp(dir=store.spool_dir, prefix="project-")
    path = Path(name)
    cap = ByteCap(max_bytes)
    try:
        with os.fdopen(fd, "wb") as out:
            upload.file.seek(0)
            while chunk := upload.file.read(COPY_CHUNK):
                cap.take(len(chunk))
                out.write(chunk)
    except TooLarge:
        path.unlink(missing_ok=True)
        return None
    return path


def _check_and_store(
    uploads: list[UploadFile], store: Store, rules: service.Rules
) -> list[dict[str, Any]] | Refusal:
    """Every file checked first; only when all pass is any stored (a refused form leaves no
    object behind)."""
    ready: list[tuple[Path, str, checks.Checked]] = []
    try:
        for upload in uploads:
            sent = upload.filename or "file"
            path = _spool(upload, store, rules.max_bytes)
            if path is None:
                return Refusal(
                    Kind.too_large,
                    _("“{name}” is larger than the {mb} MB a file may be.").format(
                        name=sent, mb=rules.max_bytes // service.MB
                    ),
                    "file_too_large",
                    "files",
                )
            ready.append((path, sent, checks.Checked("", None)))
            if path.stat().st_size == 0:
                return Refusal(
                    Kind.invalid, _("“{name}” is empty.").format(name=sent), "empty_file", "files"
                )
            verdict = checks.check_file(path, sent, rules.types, rules.max_bytes)
            if isinstance(verdict, Refusal):
                return verdict
            ready[-1] = (path, sent, verdict)
        stored: list[dict[str, Any]] = []
        for path, sent, verdict in ready:
            kept = (
                store.put_bytes(verdict.data) if verdict.data is not None else store.put_file(path)
            )
            stored.append(
                {
                    "name": _clean_name(sent, verdict.type),
                    "sha256": kept.sha256,
                    "size": kept.size,
                    "type": verdict.type,
                }
            )
        return stored
    finally:
        for path, _sent, _verdict in ready:
            path.unlink(missing_ok=True)


def _save(
    engine: Engine,
    store: Store,
    challenge_id: int,
    user_id: int,
    received: _Received,
) -> Refusal | None:
    with Session(engine, expire_on_commit=False) as db:
        challenge = db.get(Challenge, challenge_id)
        user = db.get(User, user_id)
        assert challenge is not None and user is not None
        rules = _rules_or_404(challenge)
        team = _team_or_404(db, challenge, user)
        assert team.id is not None
        refused = service.closed(db, challenge)
        if refused is not None:
            return refused
        project = service.project_of(db, challenge_id, team.id)
        previous = service.latest(db, project) if project is not None else None
        clean = service.check_draft(
            db, challenge, rules, team, received.draft, len(received.uploads), previous, user_id
        )
        if isinstance(clean, Refusal):
            return clean
        stored = _check_and_store(received.uploads, store, rules)
        if isinstance(stored, Refusal):
            return stored
        made = service.save_version(db, challenge, team, user, clean, stored)
        if isinstance(made, Refusal):
            db.rollback()
            return made
        db.commit()
    return None


@router.post("/challenges/{slug}/project", response_class=HTMLResponse, name="project_save")
@takes_upload
async def project_save(
    request: Request,
    slug: str,
    user: CurrentUser,
    page: PageDep,
    settings: SettingsDep,
    engine: EngineDep,
    store: StoreDep,
) -> Response:
    """A new version of the team's project (the body is read here, after the caller and the
    challenge are known, so a stranger's upload is never read)."""
    challenge, _team = await run_in_threadpool(_challenge_and_team, engine, slug, user)
    assert challenge.id is not None and user.id is not None
    received = await _read_form(request, settings.upload_max_bytes)
    try:
        if isinstance(received, Refusal):
            outcome: Refusal | None = received
            typed = None
        else:
            typed = received.draft
            outcome = await run_in_threadpool(_save, engine, store, challenge.id, user.id, received)
    finally:
        if not isinstance(received, Refusal):
            for upload in received.uploads:
                await upload.close()
    if outcome is not None:
        return await run_in_threadpool(_refused_page, engine, page, slug, user, outcome, typed)
    request.session[NOTICE] = "saved"
    return RedirectResponse(request.url_for("project_form", slug=slug).path, 303)


def _challenge_and_team(engine: Engine, slug: str, user: User) -> tuple[Challenge, Team]:
    with Session(engine, expire_on_commit=False) as db:
        challenge = challenge_by_slug(db, slug)
        if challenge is None or not challenge.published or challenge.id is None:
            raise HTTPException(404, f"No published challenge is called {slug!r}.")
        _rules_or_404(challenge)
        return challenge, _team_or_404(db, challenge, user)


def _refused_page(
    engine: Engine,
    page: Page,
    slug: str,
    user: User,
    problem: Refusal,
    typed: service.Draft | None,
) -> HTMLResponse:
    with Session(engine, expire_on_commit=False) as db:
        challenge = challenge_by_slug(db, slug)
        assert challenge is not None
        team = _team_or_404(db, challenge, user)
        return _form_page(page, db, challenge, team, user, problem=problem, typed=typed)


@router.post("/challenges/{slug}/project/gallery", name="project_gallery_choice")
def project_gallery_choice(
    request: Request,
    user: CurrentUser,
    challenge: PublishedChallenge,
    db: SessionDep,
    page: PageDep,
    show: str = Form("", max_length=8),
) -> Response:
    """The captain's choice: the team's project in the public gallery (`show=yes`) or not."""
    _rules_or_404(challenge)
    team = _team_or_404(db, challenge, user)
    outcome = service.set_opt_out(db, challenge, team, user, opt_out=show != "yes")
    if isinstance(outcome, Refusal):
        db.rollback()
        return _form_page(page, db, challenge, team, user, problem=outcome)
    db.commit()
    request.session[NOTICE] = "hidden" if outcome.gallery_opt_out else "shown"
    return RedirectResponse(request.url_for("project_form", slug=challenge.slug).path, 303)


# --- the gallery, a project, its files ----------------------------------------------------


def _visible_challenge(db: Session, slug: str, user: User | None) -> Challenge:
    """A published challenge with a project phase; a draft only for its staff."""
    challenge = challenge_by_slug(db, slug)
    if challenge is None or challenge.id is None or service.rules_of(challenge) is None:
        raise HTTPException(404, _("No challenge called “{slug}” has projects.").format(slug=slug))
    if not challenge.published and not service.is_staff(db, challenge, user):
        raise HTTPException(404, _("No challenge called “{slug}” has projects.").format(slug=slug))
    return challenge


@router.get("/challenges/{slug}/projects", response_class=HTMLResponse, name="projects_gallery")
def projects_gallery(slug: str, user: OptionalUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    challenge = _visible_challenge(db, slug, user)
    assert challenge.id is not None
    rules = _rules_or_404(challenge)
    row = service.gallery_row(db, challenge.id)
    context = {
        "challenge": challenge,
        "entries": service.gallery(db, challenge, user),
        "public": service.gallery_public(db, challenge),
        "published": row is not None and row.published_at is not None,
        "row": row,
        "rules": rules,
        "staff": service.is_staff(db, challenge, user),
        "manages": _manages(db, challenge, user),
        "notice": page.request.session.pop(NOTICE, None),
    }
    return page.render("projects/gallery.html", context)


def _manages(db: Session, challenge: Challenge, user: User | None) -> bool:
    assert challenge.id is not None
    if user is None or user.id is None or team_of(db, challenge.id, user.id) is not None:
        return False
    return user_manages(db, user, challenge)


def _project_or_404(
    db: Session, challenge: Challenge, project_id: int, user: User | None
) -> Project:
    project = service.project_in(db, challenge, project_id)
    if project is None or not service.can_see(
        db, challenge, project, user, public=service.gallery_public(db, challenge)
    ):
        raise HTTPException(404, _("There is no such project in this challenge."))
    return project


@router.get(
    "/challenges/{slug}/projects/{project_id}", response_class=HTMLResponse, name="project_page"
)
def project_page(
    slug: str, project_id: RowId, user: OptionalUser, db: SessionDep, page: PageDep
) -> HTMLResponse:
    challenge = _visible_challenge(db, slug, user)
    project = _project_or_404(db, challenge, project_id, user)
    team = db.get(Team, project.team_id)
    assert team is not None
    insider = service.is_member(db, project.team_id, user) or service.is_staff(db, challenge, user)
    version = service.latest(db, project)
    if version is None:
        raise HTTPException(404, _("This team has not saved its project yet."))
    context = {
        "challenge": challenge,
        "project": project,
        "team": team,
        "version": version,
        "description": render_markdown(version.description),
        "credited": service.member_names(db, version.credited),
        "insider": insider,
        "versions": service.versions(db, project) if insider else [],
        "judged": service.judged_version(db, project) if insider else None,
        "link_labels": {k: service.link_label(k) for k in service.LINK_KINDS},
        "images": checks.IMAGE_TYPES,
    }
    return page.render("projects/project.html", context)


def _stream(store: Store, sha256: str) -> Iterator[bytes]:
    with store.open(sha256) as source:
        while chunk := source.read(COPY_CHUNK):
            yield chunk


@router.get(
    "/challenges/{slug}/projects/{project_id}/files/{sha256}",
    response_class=StreamingResponse,
    name="project_file",
)
def project_file(
    slug: str,
    project_id: RowId,
    sha256: str,
    user: OptionalUser,
    db: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    """One file of a project, inert: nothing in it can run on the site's origin."""
    challenge = _visible_challenge(db, slug, user)
    project = _project_or_404(db, challenge, project_id, user)
    try:
        check_digest(sha256)
    except ValueError:
        raise HTTPException(404, _("This project has no such file.")) from None
    insider = service.is_member(db, project.team_id, user) or service.is_staff(db, challenge, user)
    item = service.file_of(db, project, sha256, any_version=insider)
    if item is None:
        raise HTTPException(404, _("This project has no such file."))
    kind = str(item.get("type", ""))
    name = str(item.get("name", "file"))
    disposition = attachment(name)
    if kind in checks.IMAGE_TYPES:  # re-encoded when saved: only pixels are left
        disposition = "inline" + disposition.removeprefix("attachment")
    return StreamingResponse(
        _stream(store, sha256),
        media_type=checks.MEDIA_TYPES.get(kind, "application/octet-stream"),
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(item.get("size", "")),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_CSP,
        },
    )


@organise_router.post("/{slug}/projects/publish", name="organise_projects_publish")
def organise_projects_publish(
    request: Request,
    user: OrganiserUser,
    challenge: OrganisedChallenge,
    db: SessionDep,
    action: str = Form("publish", max_length=16),
) -> Response:
    """Publishes the gallery of the challenge's projects (`action=unpublish` withdraws it)."""
    outcome = service.publish_gallery(db, challenge, user, publish=action != "unpublish")
    if isinstance(outcome, Refusal):  # refused before anything was written
        raise Refused(outcome)
    db.commit()
    request.session[NOTICE] = "published" if outcome.published_at else "unpublished"
    return RedirectResponse(request.url_for("projects_gallery", slug=challenge.slug).path, 303)
