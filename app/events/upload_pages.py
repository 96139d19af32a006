"""/organise/events: load an event from the zip of its folder, and publish or unpublish it.

Site administrators create events; an event's organisers load new versions of theirs and
decide when the public sees it. The folder is the one `marea event load` reads (event.yaml,
its pages and logos), so an event built on a laptop and checked with `marea event validate`
loads the same way here, with the same located errors.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from app.accounts.deps import OrganiserUser, ScopeDep, require_organiser
from app.accounts.models import User
from app.audit.service import record
from app.bundles.archive import bundle_root, extract_zip
from app.bundles.errors import BundleError
from app.bundles.limits import DEFAULT_LIMITS
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.runtime import Runtime
from app.events.load import EventInvalid, EventLoaded, EventRefused, Guard, load_event
from app.events.models import Event
from app.events.schema import EVENT_FILE
from app.i18n.speech import gettext as _
from app.organisers.upload import copy_capped, too_large, uploaded_bundle
from app.roles import service as roles
from app.roles.service import Scope
from app.web.body_limit import takes_upload
from app.web.deps import EngineDep, SessionDep, SettingsDep, StoreDep
from app.web.errors import status_of
from app.web.page import Page, PageDep

router = APIRouter(
    prefix="/organise/events", tags=["events"], dependencies=[Depends(require_organiser)]
)
NOTICE = "organise_events_notice"
NOTICES = {
    "loaded": ("Evento caricato.", "Event loaded."),
    "unchanged": ("Nessuna modifica: l'evento era già questo.", "No change: the event was this."),
    "published": (
        "Evento pubblicato: ora è visibile a tutti.",
        "Event published: everyone sees it.",
    ),
    "unpublished": (
        "Evento ritirato: ora lo vede solo chi lo organizza.",
        "Event unpublished: only its organisers see it now.",
    ),
}


def _managed(db: Session, scope: Scope) -> list[Event]:
    events = db.exec(select(Event).order_by(col(Event.starts_at).desc())).all()
    return [e for e in events if roles.manages_event(db, scope, e)]


def _page(
    page: Page,
    db: Session,
    scope: Scope,
    *,
    status: int = 200,
    problem: str | None = None,
    errors: list[BundleError] | None = None,
) -> HTMLResponse:
    key = page.request.session.pop(NOTICE, None)
    found = NOTICES.get(key or "")
    context: dict[str, Any] = {
        "events": _managed(db, scope),
        "may_create": scope.admin,
        "problem": problem,
        "bundle_errors": errors or [],
        "notice": (found[0] if page.lang == "it" else found[1]) if found else None,
    }
    return page.render("events/organise.html", context, status=status)


@router.get("", response_class=HTMLResponse, name="organise_events")
def organise_events(page: PageDep, db: SessionDep, scope: ScopeDep) -> HTMLResponse:
    return _page(page, db, scope)


def _guard(scope: Scope) -> Guard:
    def guard(session: Session, current: Event | None) -> Refusal | None:
        if current is None:
            if scope.admin:
                return None
            return Refusal(
                Kind.forbidden,
                _("Only a site administrator creates events; ask one to load this event first."),
            )
        if roles.manages_event(session, scope, current):
            return None
        return Refusal(
            Kind.forbidden,
            _(
                "An event called {slug} already exists and you do not organise it: choose "
                "another slug in event.yaml, or ask its organisers."
            ).format(slug=current.slug),
        )

    return guard


def _load_zip(
    runtime: Runtime, source: BinaryIO, filename: str, guard: Guard, actor: User
) -> EventLoaded | Refusal | list[BundleError]:
    if not filename.lower().endswith(".zip"):
        return Refusal(
            Kind.malformed,
            _(
                "{file} is not a .zip: zip the event's folder (event.yaml at its top or in one "
                "folder) and upload that, or load the folder with `marea event load`."
            ).format(file=filename or _("The file")),
        )
    cap = runtime.settings.upload_max_bytes
    runtime.settings.ensure_dirs()
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        archive = Path(scratch) / "event.zip"
        with archive.open("wb") as target:
            size = copy_capped(source, target, cap)
        if size is None:
            return too_large(cap)
        if size == 0:
            return Refusal(Kind.malformed, _("The uploaded file is empty; choose the event's zip."))
        unpacked = Path(scratch) / "event"
        unpacked.mkdir()
        errors = extract_zip(archive, unpacked, DEFAULT_LIMITS)
        if errors:
            return errors
        try:
            return load_event(runtime, bundle_root(unpacked, EVENT_FILE), guard=guard, actor=actor)
        except EventInvalid as exc:
            return list(exc.report.errors)
        except EventRefused as exc:
            return exc.refusal


@router.post("/upload", response_class=HTMLResponse, name="organise_event_upload")
@takes_upload
async def organise_event_upload(
    request: Request,
    user: OrganiserUser,
    db: SessionDep,
    page: PageDep,
    scope: ScopeDep,
    settings: SettingsDep,
    engine: EngineDep,
    store: StoreDep,
) -> Response:
    """The zip in the multipart field `bundle`, read under the site's upload cap."""
    zips = await uploaded_bundle(request, settings.upload_max_bytes)
    if isinstance(zips, Refusal):
        return _page(page, db, scope, status=status_of(zips), problem=zips.message)
    try:
        result = await run_in_threadpool(
            _load_zip,
            Runtime(settings, engine, store),
            zips.bundle.file,
            zips.bundle.filename or "",
            _guard(scope),
            user,
        )
    finally:
        await zips.close()
    if isinstance(result, Refusal):
        return _page(page, db, scope, status=status_of(result), problem=result.message)
    if isinstance(result, list):
        return _page(page, db, scope, status=422, errors=result)
    request.session[NOTICE] = "unchanged" if result.action == "unchanged" else "loaded"
    return RedirectResponse(request.url_for("organise_events").path, 303)


@router.post("/{slug}/publish", response_class=HTMLResponse, name="organise_event_publish")
def organise_event_publish(
    request: Request,
    slug: str,
    user: OrganiserUser,
    db: SessionDep,
    page: PageDep,
    scope: ScopeDep,
    publish: str = Form("yes"),
) -> Response:
    event = db.exec(select(Event).where(Event.slug == slug)).first()
    if event is None or not roles.manages_event(db, scope, event):
        refused = Refusal(
            Kind.not_found, _("You organise no event called “{slug}”.").format(slug=slug)
        )
        return _page(page, db, scope, status=status_of(refused), problem=refused.message)
    show = publish == "yes"
    if event.published != show:
        event.published = show
        event.updated_at = utcnow()
        db.add(event)
        record(db, user, None, "event.published" if show else "event.unpublished",
               f"event:{event.slug}", {})  # fmt: skip
        db.commit()
    request.session[NOTICE] = "published" if show else "unpublished"
    return RedirectResponse(request.url_for("organise_events").path, 303)
