"""What the questions' pages and API share: telling the live streams, and who reads a stream.

An event names the question, its team (or asker) and whether it is public; the streams
(app/questions/pages.py for organisers, app/api/questions.py for everyone else) decide
from it, with `service.belongs_to`, whether a reader hears of it at all. What they send is
the same empty nudge for every change, so nothing in a stream tells one team what another
asked or was told.
"""

from __future__ import annotations

import logging
from typing import Any

from app.core.redis import redis_client
from app.core.settings import Settings
from app.live.events import publish, questions_channel
from app.questions.models import Question, QuestionState
from app.questions.service import Asker, belongs_to

log = logging.getLogger(__name__)

STREAM_EVENT = "questions"


def question_event(question: Question) -> dict[str, Any]:
    return {
        "type": "question",
        "question_id": question.id,
        "team_id": question.team_id,
        "asked_by": question.asked_by,
        "public": question.state == QuestionState.published,
    }


def tell(settings: Settings, question: Question) -> None:
    """After the commit: best effort, a page that missed it is right when reloaded."""
    try:
        client = redis_client(settings)
    except Exception:
        log.warning("no Redis to tell the live pages about question %s", question.id)
        return
    publish(client, [questions_channel(question.challenge_id)], question_event(question))


def concerns(item: dict[str, Any], asker: Asker | None) -> bool:
    """Whether a participant's (or an anonymous reader's) stream passes this event on."""
    if item.get("type") != "question":
        return False
    if item.get("public") is True:
        return True
    if asker is None:
        return False
    team_id, asked_by = item.get("team_id"), item.get("asked_by")
    probe = Question(
        challenge_id=0,
        asked_by=asked_by if isinstance(asked_by, int) else -1,
        team_id=team_id if isinstance(team_id, int) else None,
        text="",
    )
    return belongs_to(probe, asker)
