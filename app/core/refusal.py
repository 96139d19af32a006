"""Why something a person asked for was not done: one value for every refusal of the site.

Services return a `Refusal` instead of raising, so a caller sees in the signature that an
action can be refused and must decide what to show. The `kind` says what sort of refusal it
is (and so, through one table in `app.web.errors`, the HTTP status a page and the API both
answer with); the `message` is a sentence the person can act on; `code` names the precise
reason for programs and tests (`team_full`, `phase_closed`); `field` points a form at the
input to fix; `retry_at` says when trying again can succeed (quotas, rate limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    malformed = "malformed"  # the request itself could not be read (a broken upload)
    unauthenticated = "unauthenticated"  # who is asking is unknown
    forbidden = "forbidden"  # known, but this person may not do it (or not here)
    not_found = "not_found"  # what it names does not exist for this person
    conflict = "conflict"  # the state of things does not allow it now
    gone = "gone"  # it existed but has expired
    too_large = "too_large"  # over a size limit
    unsupported = "unsupported"  # sent in a form the site does not take (not multipart)
    invalid = "invalid"  # understood, but a value is wrong: `field` names it
    too_many = "too_many"  # over a count or rate limit: `retry_at` says when it lifts
    unavailable = "unavailable"  # a component the site needs is down


@dataclass(frozen=True)
class Refusal:
    kind: Kind
    message: str
    code: str = ""
    field: str | None = None
    retry_at: datetime | None = None
