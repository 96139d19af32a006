"""/api/v1/me: who the token (or browser session) belongs to, and what it may do."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.accounts.deps import CurrentUser, TokenCredential, credential_of
from app.accounts.models import TokenScope
from app.api.schemas import COMMON_RESPONSES

router = APIRouter()


class MeCredential(BaseModel):
    """How this request was authenticated."""

    kind: Literal["session", "token"]
    # What the credential may do: a browser session may do all its user may ("submit").
    scope: str
    token_id: int | None = None
    token_name: str | None = None


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str
    email_verified: bool
    created_at: datetime
    credential: MeCredential


@router.get("/api/v1/me", response_model=Me, tags=["accounts"], responses=COMMON_RESPONSES)
def me(request: Request, user: CurrentUser) -> Me:
    """Who the API token (or browser session) belongs to, and which token with which scope;
    `marea` CLI logins check with this."""
    assert user.id is not None
    credential = credential_of(request)
    if isinstance(credential, TokenCredential):
        used = MeCredential(
            kind="token",
            scope=credential.scope.value,
            token_id=credential.token_id,
            token_name=credential.name,
        )
    else:
        used = MeCredential(kind="session", scope=TokenScope.submit.value)
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=str(user.role),
        email_verified=user.email_verified,
        created_at=user.created_at,
        credential=used,
    )
