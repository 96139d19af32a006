"""A team's invitation link as a full URL: shared by the team page and the API."""

from __future__ import annotations

from fastapi import Request

from app.challenges.models import Challenge
from app.teams import service
from app.teams.models import Team


def invite_link(request: Request, challenge: Challenge, team: Team) -> str:
    secret: str = request.app.state.settings.resolved_secret_key()
    token = service.invite_link_token(secret, team)
    return str(request.url_for("team_join_link", slug=challenge.slug, token=token))
