"""GET /api/v1/challenges/{slug}/announcements: what the caller may read of a challenge's
announcements (its own, its track's and its event's), newest first, in English (else Italian)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.accounts.deps import OptionalUser
from app.announcements import service
from app.api.schemas import ErrorBody
from app.challenges.web import PublishedChallenge
from app.text.markdown import render_markdown
from app.web.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["announcements"], responses={404: {"model": ErrorBody}})


@router.get("/challenges/{slug}/announcements")
def challenge_announcements(
    user: OptionalUser, challenge: PublishedChallenge, db: SessionDep
) -> dict[str, Any]:
    """Each item: `id`, `title`, `body` (Markdown) and `body_html` (sanitised), `pinned`,
    `scope` (challenge, track or event), `created_at` and `updated_at` in UTC."""
    reader = service.reader_of(db, user)
    items = []
    for a in service.listing(db, reader, challenge=challenge):
        title, body = service.in_language(a, "en")
        scope = "challenge" if a.challenge_id is not None else ("track" if a.track else "event")
        items.append(
            {
                "id": a.id,
                "title": title,
                "body": body,
                "body_html": str(render_markdown(body)),
                "pinned": a.pinned,
                "scope": scope,
                "track": a.track,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
            }
        )
    return {"items": items}
