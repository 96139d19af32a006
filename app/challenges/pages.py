"""A challenge's pages and the list of every published challenge (the home is app/events)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from app.challenges import service
from app.challenges.identity import identity_of
from app.challenges.web import PublishedChallenge
from app.core.db import utcnow
from app.i18n import localise
from app.questions import service as questions
from app.text.markdown import render_markdown
from app.web.deps import SessionDep
from app.web.page import PageDep

router = APIRouter()


@router.get("/challenges", response_class=HTMLResponse, name="challenge_list")
def challenge_list(session: SessionDep, page: PageDep) -> HTMLResponse:
    """Every published challenge, at the address people guess from /challenges/{slug}."""
    return page.render(
        "challenges/list.html", {"challenges": service.published_challenges(session)}
    )


@router.get("/challenges/{slug}", response_class=HTMLResponse, name="challenge")
def challenge_page(
    challenge: PublishedChallenge,
    session: SessionDep,
    html: PageDep,
    page: str = "overview",
) -> HTMLResponse:
    assert challenge.id is not None
    lang = html.lang
    if page not in service.PAGE_NAMES:
        raise HTTPException(
            status_code=404,
            detail=f"Unknown page {page!r}; choose one of {', '.join(service.PAGE_NAMES)}.",
        )
    phases = service.phases_of(session, challenge.id)
    body = render_markdown(service.page_markdown(challenge, page, lang, phases))
    now = utcnow()
    return html.render(
        "challenges/page.html",
        {
            "challenge": challenge,
            "page": page,
            "page_names": service.PAGE_NAMES,
            "body": body,
            "phases": [(p, service.phase_state(p, now)) for p in phases],
            "files": service.public_files(session, challenge.id) if page == "data" else [],
            "now": now,
            "source_html": render_markdown(localise(challenge.config.get("source"), lang)),
            "identity": identity_of(session, challenge),
            "questions": questions.published(session, challenge.id) if page == "overview" else [],
            "phase_names": {p.id: p.title for p in phases},
        },
    )
