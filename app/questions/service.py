"""Asking, listing, answering, publishing and dismissing questions, and who may read which.

One rule decides what a reader sees, for the pages, the API and the live streams alike
(`belongs_to`): a question is the asking team's (or, without a team, the asker's) until
it is published, and nobody else's. Organisers' actions are audited in their own
transaction; the pages tell the live streams and wake the mail queue after the commit.

Asking is limited per team (or per person without a team) by counting the rows asked in
the last `WINDOW`: the database already holds the truth, so the limit needs no Redis,
holds across web processes, and a refusal can say exactly when asking is possible again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.accounts.models import User
from app.audit.service import record
from app.challenges.models import Challenge, Phase
from app.challenges.service import phases_of
from app.core.db import utcnow
from app.core.refusal import Kind, Refusal
from app.core.settings import Settings
from app.i18n.speech import gettext as _
from app.i18n.speech import speaking
from app.mail.models import OutboxMail
from app.notifications.models import Notice
from app.notifications.service import notify
from app.questions.models import ANSWER_MAX, TEXT_MAX, Question, QuestionState
from app.teams.models import Membership
from app.teams.service import team_of
from app.text.timefmt import format_local

TEXT_MIN = 5
WINDOW = timedelta(minutes=10)
PER_WINDOW = 3


@dataclass(frozen=True)
class Asker:
    """Whom a person's questions belong to in one challenge: their team, else themselves."""

    user_id: int
    team_id: int | None


def asker_of(db: Session, challenge_id: int, user: User) -> Asker:
    assert user.id is not None
    team = team_of(db, challenge_id, user.id)
    return Asker(user.id, team.id if team is not None else None)


def belongs_to(question: Question, asker: Asker | None) -> bool:
    """Whether `asker` is the question's owner (its team, or the person without a team)."""
    if asker is None:
        return False
    if question.team_id is not None:
        return question.team_id == asker.team_id
    return question.asked_by == asker.user_id


def readable_by(question: Question, asker: Asker | None) -> bool:
    return question.state == QuestionState.published or belongs_to(question, asker)


def _zone(challenge: Challenge) -> str | None:
    zone = challenge.config.get("time_zone")
    return zone if isinstance(zone, str) else None


def _phase(db: Session, challenge: Challenge, name: str | None) -> Phase | Refusal | None:
    if not name:
        return None
    assert challenge.id is not None
    for phase in phases_of(db, challenge.id):
        if phase.name == name:
            return phase
    return Refusal(
        Kind.invalid, _("Choose a phase of this challenge, or none."), "unknown_phase", "phase"
    )


def _text_problem(text: str, *, field: str, shortest: int, longest: int) -> Refusal | None:
    if len(text) < shortest:
        return Refusal(
            Kind.invalid,
            _("Write at least {n} characters.").format(n=shortest),
            "too_short",
            field,
        )
    if len(text) > longest:
        return Refusal(
            Kind.invalid,
            _("Write at most {n} characters (this text has {length}).").format(
                n=longest, length=len(text)
            ),
            "too_long",
            field,
        )
    return None


def ask(
    db: Session,
    challenge: Challenge,
    user: User,
    text: str,
    phase_name: str | None = None,
    now: datetime | None = None,
) -> Question | Refusal:
    """A new question of the asker's team (or the asker), unless it is out of bounds or the
    team asked `PER_WINDOW` questions in the last `WINDOW`."""
    assert challenge.id is not None
    now = now or utcnow()
    text = text.strip()
    problem = _text_problem(text, field="text", shortest=TEXT_MIN, longest=TEXT_MAX)
    if problem is not None:
        return problem
    phase = _phase(db, challenge, phase_name)
    if isinstance(phase, Refusal):
        return phase
    asker = asker_of(db, challenge.id, user)
    mine = (
        col(Question.team_id) == asker.team_id
        if asker.team_id is not None
        else (col(Question.asked_by) == asker.user_id) & col(Question.team_id).is_(None)
    )
    recent = db.exec(
        select(Question.created_at)
        .where(Question.challenge_id == challenge.id, mine)
        .where(col(Question.created_at) > now - WINDOW)
        .order_by(col(Question.created_at))
    ).all()
    if len(recent) >= PER_WINDOW:
        retry_at = recent[len(recent) - PER_WINDOW] + WINDOW
        return Refusal(
            Kind.too_many,
            _(
                "You have asked {n} questions in the last {minutes} minutes: you may ask "
                "another one from {when}."
            ).format(
                n=len(recent),
                minutes=int(WINDOW.total_seconds() // 60),
                when=format_local(retry_at, speaking(), _zone(challenge)),
            ),
            "too_many_questions",
            "text",
            retry_at,
        )
    question = Question(
        challenge_id=challenge.id,
        phase_id=phase.id if phase is not None else None,
        team_id=asker.team_id,
        asked_by=asker.user_id,
        text=text,
        created_at=now,
    )
    db.add(question)
    db.flush()
    return question


def visible(db: Session, challenge_id: int, asker: Asker | None) -> list[Question]:
    """The published questions and the reader's own, newest first."""
    stmt = select(Question).where(Question.challenge_id == challenge_id)
    public = col(Question.state) == QuestionState.published
    if asker is None:
        stmt = stmt.where(public)
    else:
        # Asked before joining a team: still the asker's own.
        alone = (col(Question.asked_by) == asker.user_id) & col(Question.team_id).is_(None)
        team = col(Question.team_id) == asker.team_id if asker.team_id is not None else alone
        stmt = stmt.where(or_(public, alone, team))
    found = list(db.exec(stmt.order_by(col(Question.created_at).desc(), col(Question.id).desc())))
    return [q for q in found if readable_by(q, asker)]


def published(db: Session, challenge_id: int) -> list[Question]:
    """Everyone's questions and answers, the newest publication first."""
    return list(
        db.exec(
            select(Question)
            .where(Question.challenge_id == challenge_id)
            .where(col(Question.state) == QuestionState.published)
            .order_by(col(Question.published_at).desc(), col(Question.id).desc())
        )
    )


def for_organisers(db: Session, challenge_id: int) -> list[Question]:
    """Every question of the challenge: the unanswered first (oldest first: they waited
    longest), then the rest, newest first."""
    rows = list(
        db.exec(
            select(Question)
            .where(Question.challenge_id == challenge_id)
            .order_by(col(Question.created_at).desc(), col(Question.id).desc())
        )
    )
    waiting = [q for q in rows if q.state == QuestionState.open]
    waiting.reverse()
    return waiting + [q for q in rows if q.state != QuestionState.open]


def counts(questions: list[Question]) -> dict[str, int]:
    found = Counter(str(q.state) for q in questions)
    return {str(state): found.get(str(state), 0) for state in QuestionState}


def question_of(db: Session, challenge_id: int, question_id: int) -> Question | None:
    question = db.get(Question, question_id)
    if question is None or question.challenge_id != challenge_id:
        return None
    return question


def _detail(question: Question, **more: object) -> dict[str, object]:
    return {"question_id": question.id, "team_id": question.team_id, **more}


def _set_answer(question: Question, actor: User, answer: str, now: datetime) -> bool:
    """Writes the answer; True when this is the question's first answer."""
    first = question.answered_at is None
    if first:
        question.answered_at = now
    elif answer != question.answer:
        question.answer_updated_at = now
    question.answer = answer
    question.answered_by = actor.id
    return first


def answer(
    db: Session, question: Question, actor: User, text: str, now: datetime | None = None
) -> tuple[Question, bool] | Refusal:
    """Answers privately (a published question keeps being public, with the new answer).
    The flag says whether this was the first answer (the team is mailed then)."""
    now = now or utcnow()
    text = text.strip()
    problem = _text_problem(text, field="answer", shortest=1, longest=ANSWER_MAX)
    if problem is not None:
        return problem
    edited = question.answer is not None
    first = _set_answer(question, actor, text, now)
    if question.state != QuestionState.published:
        question.state = QuestionState.answered
    db.add(question)
    record(
        db, actor, question.challenge_id, "question.answer", f"question:{question.id}",
        _detail(question, edited=edited, public=question.state == QuestionState.published),
    )  # fmt: skip
    return question, first


def publish(
    db: Session,
    question: Question,
    actor: User,
    wording: str,
    text: str,
    now: datetime | None = None,
) -> tuple[Question, bool] | Refusal:
    """Publishes the question, in `wording` (the original stays for the asker and the audit),
    with the answer `text`. The flag says whether this was the first answer."""
    now = now or utcnow()
    wording, text = wording.strip(), text.strip()
    problem = _text_problem(
        wording, field="wording", shortest=TEXT_MIN, longest=TEXT_MAX
    ) or _text_problem(text, field="answer", shortest=1, longest=ANSWER_MAX)
    if problem is not None:
        return problem
    first = _set_answer(question, actor, text, now)
    question.public_text = wording
    if question.state != QuestionState.published:
        question.published_at = now
    question.state = QuestionState.published
    db.add(question)
    record(
        db, actor, question.challenge_id, "question.publish", f"question:{question.id}",
        _detail(question, reworded=wording != question.text),
    )  # fmt: skip
    return question, first


def dismiss(db: Session, question: Question, actor: User) -> Question | Refusal:
    """Closes a question without an answer (a duplicate, or not a question); a published one
    stays published: withdrawing what everyone read is not what dismissing means."""
    if question.state == QuestionState.published:
        return Refusal(
            Kind.conflict,
            _("This question is published: everyone has read it, so it cannot be dismissed."),
            "published",
        )
    question.state = QuestionState.dismissed
    db.add(question)
    record(
        db, actor, question.challenge_id, "question.dismiss", f"question:{question.id}",
        _detail(question),
    )  # fmt: skip
    return question


def recipients(db: Session, question: Question) -> list[User]:
    """Who is told of an answer: the team's members (or the asker) with a verified address."""
    if question.team_id is not None:
        stmt = (
            select(User)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(Membership.team_id == question.team_id)
        )
    else:
        stmt = select(User).where(User.id == question.asked_by)
    return [u for u in db.exec(stmt.order_by(col(User.id))) if u.email_verified and u.is_active]


def mail_answered(
    db: Session, settings: Settings, challenge: Challenge, question: Question, link: str
) -> list[OutboxMail]:
    """One mail per person of the asking team who wants it (their notification choices), each
    in its reader's language."""
    mails = []
    for user in recipients(db, question):
        mail = notify(
            db,
            settings,
            user=user,
            notice=Notice.question,
            mail_kind="question_answered",
            context={
                "name": user.name,
                "title": dict(challenge.title),
                "question": question.text,
                "answer": question.answer or "",
                "published": question.state == QuestionState.published,
                "link": link,
            },
        )
        if mail is not None:
            mails.append(mail)
    return mails


def waiting_count(db: Session, challenge_id: int) -> int:
    return int(
        db.exec(
            select(func.count())
            .select_from(Question)
            .where(Question.challenge_id == challenge_id)
            .where(col(Question.state) == QuestionState.open)
        ).one()
    )
