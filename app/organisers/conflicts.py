"""Someone in a team of a challenge is a participant there, whatever their role.

Organiser and judge pages of a challenge show what no participant may see
(hidden data, private scores, the live board during a freeze, other teams'
files and logs). A member of one of its teams is a competitor, so every such
page of that challenge refuses them, admins included: another organiser runs
it. The rule is a router-level dependency (see `app.main`), so a new page under
`/organise/{slug}/...` cannot forget it.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from app.accounts.deps import get_optional_user
from app.challenges.service import challenge_by_slug
from app.leaderboard.boards import competes_in
from app.web.deps import SessionDep

COMPETITOR_MESSAGE = (
    "You are in a team of this challenge, so you take part in it as a participant: its "
    "organiser and judge pages are closed to you. Another organiser or judge runs it."
)


def refuse_competitors(request: Request, db: SessionDep) -> None:
    """Who is asking is looked up only for a page of a challenge: routes without one (such as
    /metrics, which has its own bearer token) must not see the caller checked here."""
    slug = request.path_params.get("slug")
    if not isinstance(slug, str):
        return
    user = get_optional_user(request, db)
    if user is None:
        return
    challenge = challenge_by_slug(db, slug)
    if challenge is None or challenge.id is None:
        return
    if competes_in(db, challenge.id, user):
        raise HTTPException(403, COMPETITOR_MESSAGE)
