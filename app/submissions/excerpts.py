"""Log excerpts: what a team reads of its run's log when the phase's policy is `excerpt`.

The team sees nothing of the log until an organiser has read the whole of it
beside the excerpt, the tail of the program's output capped at `excerpt_bytes`,
and approved that excerpt. What is approved is stored as text: the team then
reads exactly what the organiser saw, never a new cut of the log (a cap changed
in a reloaded bundle would otherwise show something nobody approved).
Approving is the organisers' action: app/organisers/log_excerpts.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from app.submissions.models import LogExcerpt, Submission

# The errors first: a traceback's last lines are what a team needs to fix a crash.
STREAMS = ("stderr", "stdout")
# What judging writes before a tail it had to cut; the count of bytes the program printed is
# something the program chose, so the excerpt drops it.
_DROPPED = re.compile(r"\A\[\.\.\. \d+ earlier bytes not kept \.\.\.\]\n")
CUT_MARK = "[...]\n"


def program_output(logs: Mapping[str, Any]) -> dict[str, str]:
    """The program's streams, wherever judging put them (`withheld`, or `participant`)."""
    for audience in ("withheld", "participant"):
        part = logs.get(audience)
        if isinstance(part, Mapping) and any(stream in part for stream in STREAMS):
            return {stream: str(part.get(stream, "")) for stream in STREAMS}
    return {}


def cut_excerpt(logs: Mapping[str, Any], cap: int) -> str:
    """At most `cap` bytes of the program's output: the end of stderr, then of stdout."""
    budget = cap
    pieces: list[str] = []
    for stream, text in program_output(logs).items():
        dropped = _DROPPED.match(text) is not None
        data = _DROPPED.sub("", text, count=1).encode("utf-8")
        if not data.strip() or budget <= 0:
            continue
        kept = data[-budget:]
        budget -= len(kept)
        cut = dropped or len(kept) < len(data)
        body = kept.decode("utf-8", "ignore")  # a character cut in two at the start goes
        pieces.append(f"--- {stream} ---\n" + (CUT_MARK if cut else "") + body)
    return "\n".join(pieces)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def approved_excerpt(session: Session, submission: Submission) -> LogExcerpt | None:
    """The approval for the logs the submission has now; None when there is none (or stale)."""
    if submission.id is None or not submission.logs_sha256:
        return None
    row = session.exec(select(LogExcerpt).where(LogExcerpt.submission_id == submission.id)).first()
    if row is None or row.logs_sha256 != submission.logs_sha256:
        return None
    return row
