"""How a refusal reaches a person over HTTP: the one table from kind to status.

Pages and the API answer a refusal of the same kind with the same status. `Refused` is an
`HTTPException`, so the one exception handler of `app.main` renders it as the error page
or as the API's error body (with the refusal's `code` and `field`), and `Retry-After`
comes from the refusal's `retry_at` wherever it is raised.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import HTTPException

from app.core.refusal import Kind, Refusal

T = TypeVar("T")

STATUS: dict[Kind, int] = {
    Kind.malformed: 400,
    Kind.unauthenticated: 401,
    Kind.forbidden: 403,
    Kind.not_found: 404,
    Kind.conflict: 409,
    Kind.gone: 410,
    Kind.too_large: 413,
    Kind.unsupported: 415,
    Kind.invalid: 422,
    Kind.too_many: 429,
    Kind.unavailable: 503,
}


def status_of(refusal: Refusal) -> int:
    return STATUS[refusal.kind]


def retry_headers(refusal: Refusal) -> dict[str, str]:
    """`Retry-After` in whole seconds (at least 1) when the refusal says when to try again."""
    if refusal.retry_at is None:
        return {}
    at = refusal.retry_at if refusal.retry_at.tzinfo else refusal.retry_at.replace(tzinfo=UTC)
    seconds = math.ceil((at - datetime.now(UTC)).total_seconds())
    return {"Retry-After": str(max(1, seconds))}


def refusal_fields(refusal: Refusal) -> dict[str, str]:
    """What the API's error body adds for a refusal: its kind, and its code and field if any."""
    fields = {"kind": refusal.kind.value}
    if refusal.code:
        fields["code"] = refusal.code
    if refusal.field:
        fields["field"] = refusal.field
    return fields


class Refused(HTTPException):
    """A refusal raised out of a route; answered by the site's one HTTP error handler."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(status_of(refusal), refusal.message, retry_headers(refusal) or None)
        self.refusal = refusal


def unwrap(outcome: T | Refusal) -> T:
    """The value, or its refusal raised as `Refused`: for a route that passes refusals on."""
    if isinstance(outcome, Refusal):
        raise Refused(outcome)
    return outcome
