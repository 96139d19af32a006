"""Registering for an event (participants), its registrations and results (its organisers).

Every action is a plain POST form followed by a redirect; a refusal shows the form again
with the service's sentence and the field to fix. Withdrawing asks first (a second step
that says what happens). The organisers of an event are the addresses its event.yaml
lists, and administrators; an event listing none (the default event of an older site) is
run by the site's organisers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.deps import CurrentUser, OptionalUser
from app.accounts.models import User
from app.audit.service import events_for_event, record
from app.audit.words import describe
from app.core.db import MAX_ROW_ID, utcnow
from app.core.refusal import Kind, Refusal
from app.events import checkin
from app.events import registration as service
from app.events.models import HOLDS_A_PLACE, Event, Registration, RegistrationStatus
from app.events.results import event_results
from app.events.service import event_by_slug, partner_names
from app.i18n.speech import gettext
from app.notifications import senders
from app.queue.mail_jobs import wake
from app.roles import service as roles
from app.text.attachment import attachment
from app.web.deps import SessionDep, SettingsDep
from app.web.errors import Refused, status_of
from app.web.page import Page, PageDep

router = APIRouter()

NOTICES = {
    "registered": ("Iscrizione registrata.", "You are registered."),
    "pending": (
        "Iscrizione ricevuta: gli organizzatori devono approvarla.",
        "Registration received: the organisers must approve it.",
    ),
    "waiting": (
        "L'evento è al completo: sei in lista d'attesa.",
        "The event is full: you are on the waiting list.",
    ),
    "updated": ("Risposte aggiornate.", "Answers updated."),
    "withdrawn": ("Ti sei ritirato dall'evento.", "You withdrew from the event."),
    "approved": ("Iscrizione approvata.", "Registration approved."),
    "listed": ("Salvato: ora sei nella bacheca.", "Saved: you are now on the board."),
    "unlisted": ("Salvato: non sei più nella bacheca.", "Saved: you are no longer on the board."),
    "checked": ("Ingresso registrato.", "Checked in."),
    "unchecked": ("Ingresso annullato.", "Check-in undone."),
    "prize_saved": ("Premio salvato.", "Prize saved."),
    "results_shown": ("Risultati pubblicati.", "Results published."),
    "results_hidden": (
        "Risultati ritirati: la pagina non è più pubblica.",
        "Results withdrawn: the page is no longer public.",
    ),
}


async def form_data(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def can_organise(db: Session, user: User | None, event: Event) -> bool:
    """The event's organisers (app.roles) and site administrators."""
    return user is not None and roles.manages_event(db, roles.scope_of(db, user), event)


def _published(db: Session, slug: str, user: User) -> Event:
    event = event_by_slug(db, slug)
    if event is None or event.id is None or not (event.published or can_organise(db, user, event)):
        raise HTTPException(404, f"No published event is called {slug!r}.")
    return event


def _organised(db: Session, slug: str, user: User) -> Event:
    event = event_by_slug(db, slug)
    if event is None or event.id is None or not can_organise(db, user, event):
        raise HTTPException(404, f"You organise no event called {slug!r}.")
    return event


def _fields(form: FormData) -> dict[str, list[str]]:
    """Every field's values as text (a file field, which no registration form has, is dropped)."""
    return {
        key: [v for v in form.getlist(key) if isinstance(v, str)]
        for key in form.keys()  # noqa: SIM118
    }


def _notice(page: Page) -> str | None:
    key = page.request.session.pop("event_notice", None)
    found = NOTICES.get(key or "")
    return (found[0] if page.lang == "it" else found[1]) if found else None


def _register_page(
    page: Page,
    db: Session,
    event: Event,
    user: User,
    *,
    refusal: Refusal | None = None,
    sent: FormData | None = None,
    confirm_withdraw: bool = False,
) -> HTMLResponse:
    assert event.id is not None and user.id is not None
    mine = service.registration_of(db, event.id, user.id)
    answers: dict[str, list[str]] = {}
    if sent is not None:
        answers = _fields(sent)
    elif mine is not None:
        for key, value in mine.answers.items():
            answers[f"q_{key}"] = value if isinstance(value, list) else [value]
        for key in mine.consents:
            answers[f"c_{key}"] = ["yes"]
    capacity = event.config.get("registration", {}).get("capacity")
    return page.render(
        "events/register.html",
        {
            "event": event,
            "time_zone": event.time_zone,
            "mine": mine,
            "active": mine is not None and mine.status != RegistrationStatus.WITHDRAWN.value,
            "answers": answers,
            "registration": event.config.get("registration", {}),
            "closed": service.window_refusal(event, utcnow()),
            "error": refusal.message if refusal else None,
            "error_field": refusal.field if refusal else None,
            "notice": _notice(page),
            "confirm_withdraw": confirm_withdraw,
            "qr": _qr(page, event, mine),
            "places_left": None
            if capacity is None
            else max(0, capacity - service.places_taken(db, event.id)),
        },
        status=status_of(refusal) if refusal else 200,
    )


def _qr(page: Page, event: Event, mine: Registration | None) -> Markup | None:
    """A registered participant's check-in code, shown at the venue's desk."""
    if mine is None or mine.status != RegistrationStatus.REGISTERED.value:
        return None
    secret = page.request.app.state.settings.resolved_secret_key()
    token = checkin.token_for(secret, mine)
    link = str(page.request.url_for("event_check_in_code", slug=event.slug, token=token))
    return checkin.qr_svg(link, gettext("Your check-in code"))


def _done(request: Request, name: str, slug: str, notice: str) -> Response:
    request.session["event_notice"] = notice
    return RedirectResponse(str(request.url_for(name, slug=slug)), status_code=303)


@router.get("/events/{slug}/register", response_class=HTMLResponse, name="event_register")
def register_page(slug: str, user: CurrentUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    return _register_page(page, db, _published(db, slug, user), user)


@router.post("/events/{slug}/register", response_model=None, name="event_register_post")
def register(
    slug: str, user: CurrentUser, db: SessionDep, page: PageDep, form: FormDep
) -> Response:
    event = _published(db, slug, user)
    assert event.id is not None and user.id is not None
    before = service.registration_of(db, event.id, user.id)
    was_active = before is not None and before.status != RegistrationStatus.WITHDRAWN.value
    outcome = service.register(db, event, user, _fields(form))
    if isinstance(outcome, Refusal):
        db.rollback()
        return _register_page(page, db, event, user, refusal=outcome, sent=form)
    db.commit()
    notice = "updated" if was_active else outcome.status
    return _done(page.request, "event_register", slug, notice)


@router.post("/events/{slug}/withdraw", response_model=None, name="event_withdraw")
def withdraw(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    page: PageDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Without `confirm=yes` this is the first step: the page says what withdrawing does."""
    event = _published(db, slug, user)
    if confirm != "yes":
        return _register_page(page, db, event, user, confirm_withdraw=True)
    outcome = service.withdraw(db, event, user)
    if isinstance(outcome, Refusal):
        db.rollback()
        return _register_page(page, db, event, user, refusal=outcome)
    db.commit()
    return _done(page.request, "event_register", slug, "withdrawn")


@router.get("/events/{slug}/registrations", response_class=HTMLResponse, name="event_registrations")
def registrations_page(
    slug: str, user: CurrentUser, db: SessionDep, page: PageDep, q: str = "", status: str = ""
) -> HTMLResponse:
    event = _organised(db, slug, user)
    assert event.id is not None
    rows = service.registrations_of(db, event.id)
    counts = {s.value: sum(1 for r, _ in rows if r.status == s.value) for s in RegistrationStatus}
    needle = q.strip().lower()
    shown = [
        (r, u)
        for r, u in rows
        if (not needle or needle in u.name.lower() or needle in u.email.lower())
        and (not status or r.status == status)
    ]
    return page.render(
        "events/registrations.html",
        {
            "event": event,
            "time_zone": event.time_zone,
            "rows": shown,
            "counts": counts,
            "holding": sum(counts[s.value] for s in HOLDS_A_PLACE),
            "capacity": event.config.get("registration", {}).get("capacity"),
            "questions": event.config.get("registration", {}).get("questions", []),
            "q": q,
            "status": status,
            "notice": _notice(page),
        },
    )


@router.post(
    "/events/{slug}/registrations/{registration_id}/approve",
    response_model=None,
    name="event_registration_approve",
)
def approve(
    slug: str,
    registration_id: int,
    user: CurrentUser,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
) -> Response:
    event = _organised(db, slug, user)
    if not 0 < registration_id <= MAX_ROW_ID:
        raise HTTPException(404, "No such registration for this event.")
    outcome = service.approve(db, event, registration_id, user)
    if isinstance(outcome, Refusal):  # nothing written; the request's session is discarded
        raise HTTPException(status_of(outcome), outcome.message)
    mails = senders.registration_approved(db, settings, event, outcome)
    db.commit()
    wake(settings, mails)
    return _done(page.request, "event_registrations", slug, "approved")


@router.get("/events/{slug}/registrations.csv", name="event_registrations_csv")
def registrations_csv(slug: str, user: CurrentUser, db: SessionDep) -> Response:
    """For the organisers only: names, e-mails, answers and consents with version and time."""
    event = _organised(db, slug, user)
    assert event.id is not None
    body = service.export_csv(event, service.registrations_of(db, event.id))
    return Response(
        body.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(f"{event.slug}-registrations.csv")},
    )


@router.get("/events/{slug}/teammates", response_class=HTMLResponse, name="event_teammates")
def teammates_page(slug: str, user: CurrentUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    """People looking for a team: visible to the event's participants and organisers only."""
    event = _published(db, slug, user)
    assert event.id is not None and user.id is not None
    mine = service.registration_of(db, event.id, user.id)
    active = mine is not None and mine.status != RegistrationStatus.WITHDRAWN.value
    if not active and not can_organise(db, user, event):
        raise HTTPException(403, "Register for the event to see who is looking for a team.")
    questions = event.config.get("registration", {}).get("questions", [])
    return page.render(
        "events/teammates.html",
        {
            "event": event,
            "time_zone": event.time_zone,
            "mine": mine if active else None,
            "people": service.looking_for_team(db, event.id),
            "questions": [q for q in questions if q["kind"] != "text"],
            "notice": _notice(page),
        },
    )


@router.post("/events/{slug}/teammates", response_model=None, name="event_teammates_post")
def teammates_save(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    page: PageDep,
    looking: Annotated[str, Form()] = "",
    pitch: Annotated[str, Form()] = "",
) -> Response:
    event = _published(db, slug, user)
    outcome = service.set_looking(db, event, user, looking == "yes", pitch)
    if isinstance(outcome, Refusal):  # nothing written; the request's session is discarded
        raise HTTPException(status_of(outcome), outcome.message)
    db.commit()
    return _done(
        page.request, "event_teammates", slug, "listed" if looking == "yes" else "unlisted"
    )


@router.get("/events/{slug}/winners", response_class=HTMLResponse, name="event_winners")
def winners_page(slug: str, user: OptionalUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    """Public once the organisers publish the results; before that, their preview only."""
    event = event_by_slug(db, slug)
    organises = can_organise(db, user, event) if event is not None else False
    if event is None or not ((event.published and event.results_published) or organises):
        raise HTTPException(404, f"The results of {slug!r} are not published.")
    return page.render(
        "events/winners.html",
        {
            "event": event,
            "time_zone": event.time_zone,
            "results": event_results(db, event),
            "organises": organises,
            "sponsors": partner_names(event),
            "notice": _notice(page),
        },
    )


@router.post("/events/{slug}/prizes", response_model=None, name="event_award_prize")
def award_prize(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    page: PageDep,
    key: Annotated[str, Form(max_length=300)] = "",
    team_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Award a track prize to a team of the track's challenges (an empty team: not awarded)."""
    event = _organised(db, slug, user)
    results = event_results(db, event)
    prize = next((p for r in results for p in r.prizes if p.key == key), None)
    if prize is None:
        raise Refused(Refusal(Kind.invalid, gettext("Choose one of the track prizes.")))
    awards = dict(event.awards)
    if team_id == "":
        awards.pop(key, None)
        winner = None
    else:
        track = next(r for r in results if any(p.key == key for p in r.prizes))
        winner = next((c for c in track.candidates if str(c.team_id) == team_id), None)
        if winner is None:
            raise Refused(
                Refusal(Kind.invalid, gettext("Choose a team of one of this track's challenges."))
            )
        awards[key] = winner.team_id
    event.awards = awards
    event.updated_at = utcnow()
    db.add(event)
    title = prize.prize.get("title") or {}
    record(db, user, None, "event.prize_awarded" if winner else "event.prize_cleared",
           f"event:{event.slug}",
           {"prize": title.get("en") or title.get("it") or key,
            "team": winner.team_name if winner else None,
            "challenge": winner.challenge.slug if winner else None})  # fmt: skip
    db.commit()
    return _done(page.request, "event_winners", slug, "prize_saved")


@router.post("/events/{slug}/results", response_model=None, name="event_results_publish")
def publish_results(
    slug: str,
    user: CurrentUser,
    db: SessionDep,
    page: PageDep,
    settings: SettingsDep,
    publish: Annotated[str, Form()] = "yes",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Publish (or withdraw) the winners page; without `confirm=yes` the page says what happens."""
    event = _organised(db, slug, user)
    show = publish == "yes"
    if confirm != "yes":
        results = event_results(db, event)
        pending = [c.challenge for t in results for c in t.challenges if not c.final]
        return page.render(
            "events/results_confirm.html",
            {"event": event, "publish": show, "pending": pending, "time_zone": event.time_zone},
        )
    event.results_published = show
    event.updated_at = utcnow()
    db.add(event)
    record(db, user, None, "event.results_published" if show else "event.results_hidden",
           f"event:{event.slug}", {})  # fmt: skip
    db.commit()  # the publication first; its mails follow in their own transaction
    mails = senders.event_results_published(db, settings, event) if show else []
    db.commit()
    wake(settings, mails)
    return _done(page.request, "event_winners", slug, "results_shown" if show else "results_hidden")


@router.get("/events/{slug}/audit", response_class=HTMLResponse, name="event_audit")
def event_audit(slug: str, user: CurrentUser, db: SessionDep, page: PageDep) -> HTMLResponse:
    """The event's own actions as sentences; its challenges keep their own logs."""
    event = _organised(db, slug, user)
    lines = describe(events_for_event(db, event.slug), {}, event.time_zone)
    return page.render("events/audit.html", {"event": event, "lines": lines})


@router.get("/events/{slug}/check-in", response_class=HTMLResponse, name="event_check_in")
def check_in_page(
    slug: str, user: CurrentUser, db: SessionDep, page: PageDep, q: str = ""
) -> HTMLResponse:
    """The desk's list: search by name or e-mail, check people in with one button."""
    event = _organised(db, slug, user)
    assert event.id is not None
    needle = q.strip().lower()
    rows = [
        (r, u)
        for r, u in service.registrations_of(db, event.id)
        if r.status == RegistrationStatus.REGISTERED.value
        and (not needle or needle in u.name.lower() or needle in u.email.lower())
    ]
    return page.render(
        "events/check_in.html",
        {"event": event, "time_zone": event.time_zone, "rows": rows, "q": q,
         "checked": sum(1 for r, _u in rows if r.checked_in_at), "notice": _notice(page)},
    )  # fmt: skip


@router.get(
    "/events/{slug}/check-in/{token}", response_class=HTMLResponse, name="event_check_in_code"
)
def check_in_code(
    slug: str, token: str, user: CurrentUser, db: SessionDep, page: PageDep, settings: SettingsDep
) -> HTMLResponse:
    """Where a participant's QR code leads: the person and a button, for organisers only."""
    event = _organised(db, slug, user)
    rid = checkin.registration_id_from(settings.resolved_secret_key(), event, token)
    row = db.get(Registration, rid) if rid is not None else None
    person = db.get(User, row.user_id) if row is not None else None
    if row is None or person is None:
        raise HTTPException(404, "This code is not a registration for this event.")
    return page.render(
        "events/check_in.html",
        {"event": event, "time_zone": event.time_zone, "rows": [(row, person)], "q": "",
         "checked": 1 if row.checked_in_at else 0, "notice": _notice(page), "scanned": True},
    )  # fmt: skip


@router.post(
    "/events/{slug}/registrations/{registration_id}/check-in",
    response_model=None,
    name="event_check_in_post",
)
def check_in_post(
    slug: str,
    registration_id: int,
    user: CurrentUser,
    db: SessionDep,
    page: PageDep,
    undo: Annotated[str, Form()] = "",
) -> Response:
    event = _organised(db, slug, user)
    if not 0 < registration_id <= MAX_ROW_ID:
        raise HTTPException(404, "No such registration for this event.")
    outcome = checkin.check_in(db, event, registration_id, user, undo=undo == "yes")
    if isinstance(outcome, Refusal):  # nothing written; the request's session is discarded
        raise HTTPException(status_of(outcome), outcome.message)
    db.commit()
    return _done(page.request, "event_check_in", slug, "unchecked" if undo == "yes" else "checked")
