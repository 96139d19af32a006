"""The people and the objects the authorization matrix calls every route on.

One cast of seven people (anonymous, a member of another team, the captain of team A,
a plain member of team A, a judge, an organiser, an admin) is built once per module
through the site's own sign-up and login. A world is one published challenge with
everything a route can name: team A (the captain's) with private data, joined by the
teammate through the invitation link its captain is shown, team B (the other member's),
their scored submissions on the board, a queued submission, a closed warm-up phase with
a rescore set ready for review, a judge assigned, an API token of the captain. Rows that
change things get a fresh world per call, so each call starts from the same state and
a refusal can be proven to have changed nothing (see `snapshot`).

The captain and the teammate are both in `ROLES` because team A's members are not all
alike: the invitation code, handing over captaincy and a new code are the captain's, so
a route that forgets to check captaincy shows up as the teammate getting what the table
gives only the captain.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import ApiToken, Role, User, UserSession
from app.accounts.sessions import hash_secret
from app.accounts.tokens import hash_token
from app.announcements.models import Announcement, Audience
from app.audit.models import AuditEvent
from app.challenges.identity import style_sheet
from app.challenges.models import Challenge, DataFile, Phase
from app.core.db import utcnow
from app.core.store import LocalStore
from app.events.checkin import token_for
from app.events.models import Event, Registration
from app.jury.models import JudgeAssignment, Review
from app.leaderboard.ranking import BoardSpec
from app.leaderboard.service import offer
from app.mail.models import MailStatus, OutboxMail
from app.projects.models import Project, ProjectGallery, ProjectVersion
from app.projects.vote_models import Vote, VoteReveal
from app.questions.models import Question
from app.rescoring.models import ItemStatus, RescoreItem, RescoreSet, SetStatus
from app.roles.models import RoleGrant, Scoped, Source
from app.submissions.models import Score, Status, Submission
from app.teams.models import Membership, Team
from tests.app.accounts.helpers import APP_URL, csrf_from, log_in, sign_up
from tests.app.web.web_helpers import BOARD, Person, engine_of, person

ROLES = ("anonymous", "other", "captain", "teammate", "judge", "organiser", "admin")
STAFF = frozenset({"organiser", "admin"})

# Team A's private data (its submission's notes and participant logs): it must reach the
# team and the staff the row names, and nobody else.
SECRET = "delfini-secret"
# Team A's invitation code (and the token of its invitation link): the captain's alone.
INVITE = "delfini-invite"
INVITE_LINK = re.compile(r'id="invite-link"[^>]*value="([^"]+)"')
# The organisers' half of team A's logs: no participant or judge ever sees it.
STAFF_ONLY = "organisers-eyes-only"
# Team A's private-split score: hidden from everyone but the organisers until revealed.
# Four digits before the point, so no timestamp ("…:20.777…") can look like it.
PRIVATE_RMSE = 4242.4242
PRIVATE_SHOWN = "4242.424"  # as pages round it, and a prefix of what JSON sends
SUBMITTED_FILE = b"id,value\n1,0.5\n"
PUBLIC_FILE = "data/train.csv"
PUBLIC_CONTENT = b"day,temperature\n1,18.5\n"
NO_PROVIDER = "no-such-provider"
# A PNG of one white pixel: enough for the identity routes to prove its type by its bytes.
LOGO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753"
    "de0000000c49444154789c63f8ffff3f0005fe02fe0def46b80000000049454e"
    "44ae426082"
)
IDENTITY = {"logo": "identity/logo.png", "primary": "#0b5f86", "accent": "#f2c14e"}
WALKER = "walker@example.org"  # the account every role logs in as on POST /login
# The project section of the world's challenge: a metric phase and a project phase (mixed).
PROJECT = {"licences": ["EUPL-1.2", "MIT"], "files": {"types": ["pdf", "png"]}}
# Team A's project file: a plain PDF carrying team A's private data.
PROJECT_PDF = b"%PDF-1.4\n% " + SECRET.encode() + b"\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

JUDGING = {
    "scale": {"min": 1, "max": 5},
    "rubric": [
        {"key": "method", "label": {"en": "Method"}, "weight": 3},
        {"key": "use", "label": {"en": "Use"}, "weight": 1},
    ],
    "finalists": 2,
    "combine": {"metric_weight": 0.5, "rubric_weight": 0.5, "normalise_judges": False},
}
SPEC = BoardSpec.from_config(BOARD)


@dataclass
class Cast:
    """Who calls: a browser (cookie jar) per person, their CSRF token and API token."""

    site: TestClient
    people: dict[str, Person | None]
    anonymous: TestClient
    csrf: dict[str, str]
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def browser(self, role: str) -> TestClient:
        who = self.people[role]
        return who.client if who is not None else self.anonymous

    def own_browser(self, role: str) -> tuple[TestClient, str]:
        """A new browser (and session) of `role`'s and its CSRF token, for calls that log in
        or out: sessions live on the server, so a copy of the shared browser's cookie would
        end the shared session too."""
        browser = TestClient(self.site.app, base_url=APP_URL)
        who = self.people[role]
        if who is None:
            return browser, csrf_from(browser.get("/login").text)
        assert log_in(browser, who.email) == 303, f"{role} could not log in again"
        return browser, csrf_from(browser.get("/account").text)

    def email(self, role: str) -> str:
        who = self.people[role]
        return who.email if who is not None else ""

    def user_id(self, role: str) -> int:
        who = self.people[role]
        assert who is not None, f"{role} has no account"
        return who.user_id


@dataclass(frozen=True)
class World:
    slug: str
    challenge_id: int
    phase_id: int
    warmup_id: int
    team_a: int
    team_b: int
    teammate_id: int  # team A's plain member, whom captaincy can be handed over to
    scored_a: int
    queued_a: int
    set_id: int
    item_id: int
    invite_token: str
    code_a: str
    token_id: int  # an API token of the captain, for the revoke route
    session_id: int  # a session of the captain's on another device, for the end route
    target_id: int  # an account of this world alone, for the admin pages to act on
    target_session: int  # its live session
    target_token: int  # its API token
    registration_id: int  # the target's registration for the world's event, awaiting approval
    check_in_token: str  # the signed code of that registration (what its QR code links to)
    grant_id: int  # an invitation (by e-mail, on the site) to judge the challenge

    @property
    def event_slug(self) -> str:
        """This world's event (with a partner's logo); the world's challenge is in no event."""
        return f"event-{self.slug}"

    logo_digest: str  # the address part of its identity logo (app/challenges/identity.py)
    sheet_digest: str  # and of its colours' style sheet
    mail_id: int  # a failed mail to the target in the outbox, for /admin/outbox
    announcement_id: int  # an announcement to the challenge's teams
    question_id: int = 0  # team A's question to the organisers, unanswered
    project_id: int = 0  # team A's project (one version, one PDF), in an unpublished gallery
    project_sha: str = ""  # that PDF's digest
    vote_id: int = 0  # the target's people's choice vote for team B (no window: see the table)

    def params(self) -> dict[str, object]:
        """What a row's path, form or JSON may name as `{key}`."""
        return {
            "slug": self.slug,
            "phase": "development",
            "team_id": self.team_a,
            "team_b": self.team_b,
            "submission_id": self.scored_a,
            "queued_id": self.queued_a,
            "set_id": self.set_id,
            "item_id": self.item_id,
            "token": self.invite_token,
            "token_id": self.token_id,
            "session_id": self.session_id,
            "code": self.code_a,
            "teammate_id": self.teammate_id,
            "target_id": self.target_id,
            "name": NO_PROVIDER,
            "path": PUBLIC_FILE,
            "event": self.event_slug,
            "logo": "port",
            "registration_id": self.registration_id,
            "check_in_token": self.check_in_token,
            "key": "logo",
            "digest": self.logo_digest,
            "sheet": self.sheet_digest,
            "challenge_id": self.challenge_id,
            "grant_id": self.grant_id,
            "mail_id": self.mail_id,
            "question_id": self.question_id,
            "announcement_id": self.announcement_id,
            "project_id": self.project_id,
            "sha256": self.project_sha,
            "vote_id": self.vote_id,
        }


def make_cast(site: TestClient) -> Cast:
    """Seven people through the site's sign-up and login, plus the account POST /login uses."""
    people: dict[str, Person | None] = {
        "anonymous": None,
        "other": person(site, "other@example.org", "Olga"),
        "captain": person(site, "captain@example.org", "Mara"),
        "teammate": person(site, "teammate@example.org", "Tito"),
        "judge": person(site, "judge@example.org", "Giulio", Role.judge),
        "organiser": person(site, "organiser@example.org", "Orsola", Role.organiser),
        "admin": person(site, "admin@example.org", "Ada", Role.admin),
    }
    sign_up(TestClient(site.app, base_url=APP_URL), WALKER, name="Walker")
    anonymous = TestClient(site.app, base_url=APP_URL)
    csrf = {"anonymous": csrf_from(anonymous.get("/login").text)}
    for role, who in people.items():
        if who is not None:
            csrf[role] = who.csrf("/account")
    return Cast(site, people, anonymous, csrf)


def _store(site: TestClient) -> LocalStore:
    store: LocalStore = site.app.state.store  # type: ignore[attr-defined]
    return store


def _submission(
    session: Session, phase: Phase, team: Team, status: Status, **fields: Any
) -> Submission:
    assert phase.id is not None and team.id is not None
    values: dict[str, Any] = {
        "kind": "predictions",
        "file_sha256": "0" * 64,
        "filename": "predictions.csv",
        "size": 1,
        **fields,
    }
    made = Submission(
        challenge_id=phase.challenge_id,
        phase_id=phase.id,
        team_id=team.id,
        user_id=team.captain_id,
        status=status,
        **values,
    )
    session.add(made)
    session.flush()
    return made


def _scored(
    session: Session,
    phase: Phase,
    team: Team,
    rmse: float,
    private: float | None = None,
    **fields: Any,
) -> int:
    """A scored submission with its public scores, offered to the board as a worker would."""
    made = _submission(session, phase, team, Status.scored, **fields)
    assert made.id is not None and phase.id is not None and team.id is not None
    values = {"rmse": rmse, "mae": rmse / 2}
    for key, value in values.items():
        session.add(Score(submission_id=made.id, split="public", key=key, value=value))
    if private is not None:
        session.add(Score(submission_id=made.id, split="private", key="rmse", value=private))
    offer(
        session,
        SPEC,
        phase_id=phase.id,
        team_id=team.id,
        split="public",
        submission_id=made.id,
        submitted_at=made.created_at,
        values=values,
    )
    return made.id


def build_world(cast: Cast, slug: str) -> World:
    """One published challenge with every object a route can name (see the module doc)."""
    site = cast.site
    store = _store(site)
    n = next(cast.counter)
    captain_id, other_id = cast.user_id("captain"), cast.user_id("other")
    submitted = store.put_bytes(SUBMITTED_FILE)
    public = store.put_bytes(PUBLIC_CONTENT)
    logo = store.put_bytes(LOGO_PNG)
    logs = store.put_bytes(
        json.dumps(
            {
                "participant": {"stdout": f"read 1 row ({SECRET} notes)"},
                "organiser": {"stderr": STAFF_ONLY},
            }
        ).encode()
    )
    now = utcnow()
    with Session(engine_of(site), expire_on_commit=False) as session:
        challenge = Challenge(
            slug=slug,
            title={"it": "Temperatura", "en": "Temperature"},
            summary={"it": "s", "en": "s"},
            theme="sea",
            config={**BOARD, "judging": JUDGING, "identity": IDENTITY, "project": PROJECT},
            bundle_sha256="0" * 64,
            published=True,
        )
        session.add(challenge)
        session.flush()
        assert challenge.id is not None
        warmup = Phase(
            challenge_id=challenge.id,
            name="warmup",
            position=0,
            title={"en": "Warm-up"},
            kind="predictions",
            start=now - timedelta(days=30),
            end=now - timedelta(days=20),
        )
        phase = Phase(
            challenge_id=challenge.id,
            name="development",
            position=1,
            title={"en": "Development"},
            kind="predictions",
            start=now - timedelta(days=1),
            end=now + timedelta(days=10),
        )
        prototype = Phase(
            challenge_id=challenge.id,
            name="prototype",
            position=2,
            title={"en": "Prototype"},
            kind="project",
            start=now + timedelta(days=10),
            end=now + timedelta(days=20),
        )
        session.add(warmup)
        session.add(phase)
        session.add(prototype)
        session.add(
            DataFile(
                challenge_id=challenge.id,
                role="public",
                path=PUBLIC_FILE,
                sha256=public.sha256,
                size=public.size,
            )
        )
        session.add(
            DataFile(
                challenge_id=challenge.id,
                role="identity",
                path=IDENTITY["logo"],
                sha256=logo.sha256,
                size=logo.size,
            )
        )
        team_a = Team(
            challenge_id=challenge.id,
            name="Delfini",
            captain_id=captain_id,
            invite_code=f"{INVITE}-{n}",
        )
        team_b = Team(
            challenge_id=challenge.id, name="Orche", captain_id=other_id, invite_code=f"orche-{n}"
        )
        session.add(team_a)
        session.add(team_b)
        session.flush()
        assert team_a.id is not None and team_b.id is not None
        for team_id, user_id in ((team_a.id, captain_id), (team_b.id, other_id)):
            session.add(Membership(team_id=team_id, user_id=user_id, challenge_id=challenge.id))
        scored_a = _scored(
            session,
            phase,
            team_a,
            1.0,
            private=PRIVATE_RMSE,
            description=f"{SECRET}: gradient boosting",
            filename=f"{SECRET}.csv",
            file_sha256=submitted.sha256,
            size=submitted.size,
            logs_sha256=logs.sha256,
        )
        _scored(session, phase, team_b, 2.0, description="orche: linear model")
        queued = _submission(session, phase, team_a, Status.queued)
        warmup_id = _scored(session, warmup, team_a, 1.5)
        assert warmup.id is not None
        rescore = RescoreSet(
            challenge_id=challenge.id,
            phase_id=warmup.id,
            scope="phase",
            reason="new scoring program",
            bundle_version=1,
            status=SetStatus.ready,
        )
        session.add(rescore)
        session.flush()
        assert rescore.id is not None
        item = RescoreItem(
            set_id=rescore.id,
            submission_id=warmup_id,
            status=ItemStatus.scored,
            old_status="scored",
            old_scores={"public": {"rmse": 1.5, "mae": 0.75}},
            new_scores={"public": {"rmse": 1.25, "mae": 0.625}},
            logs_sha256=logs.sha256,
        )
        session.add(item)
        session.add(JudgeAssignment(challenge_id=challenge.id, user_id=cast.user_id("judge")))
        token = ApiToken(
            user_id=captain_id, name=f"laptop {n}", token_hash=hash_token(f"unused-secret-{slug}")
        )
        session.add(token)
        other_device = UserSession(
            user_id=captain_id,
            secret_hash=hash_secret(f"unused-session-{slug}"),
            expires_at=utcnow() + timedelta(days=1),
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        )
        session.add(other_device)
        target = User(email=f"target-{slug}@example.org", name=f"Target {n}", role=Role.participant)
        session.add(target)
        session.flush()
        assert target.id is not None
        target_session = UserSession(
            user_id=target.id,
            secret_hash=hash_secret(f"target-session-{slug}"),
            expires_at=utcnow() + timedelta(days=1),
        )
        target_token = ApiToken(
            user_id=target.id, name="target", token_hash=hash_token(f"target-secret-{slug}")
        )
        session.add(target_session)
        session.add(target_token)
        event = _event(slug, store.put_bytes(LOGO).sha256)
        session.add(event)
        session.flush()
        assert event.id is not None and target.id is not None
        pending = Registration(event_id=event.id, user_id=target.id, status="pending")
        session.add(pending)
        invited = RoleGrant(
            email=f"invited-{slug}@example.org",
            role=Scoped.judge,
            challenge_id=challenge.id,
            source=Source.web,
        )
        session.add(invited)
        mail = OutboxMail(
            to_address=target.email,
            user_id=target.id,
            kind="password_reset",
            language="it",
            subject=f"Mail {n}",
            body_text="text",
            body_html="<p>html</p>",
            status=MailStatus.failed,
            attempts=5,
            last_error="451 try later",
        )
        session.add(mail)
        question = Question(
            challenge_id=challenge.id,
            team_id=team_a.id,
            asked_by=captain_id,
            text=f"May we use the tide tables? ({SECRET})",
        )
        session.add(question)
        project_file = store.put_bytes(PROJECT_PDF)
        project = Project(challenge_id=challenge.id, team_id=team_a.id)
        session.add(project)
        session.flush()
        assert project.id is not None
        session.add(
            ProjectVersion(
                project_id=project.id,
                number=1,
                title=f"Gemello ({SECRET})",
                summary="the Gulf's digital twin",
                licence="MIT",
                credited=[captain_id],
                files=[
                    {
                        "name": "report.pdf",
                        "sha256": project_file.sha256,
                        "size": project_file.size,
                        "type": "pdf",
                    }
                ],
                author_id=captain_id,
            )
        )
        vote = Vote(
            challenge_id=challenge.id, team_id=team_b.id, voter_id=target.id, address="0" * 16
        )
        session.add(vote)
        announcement = Announcement(
            challenge_id=challenge.id,
            audience=Audience.teams,
            title={"it": f"Avviso {n}", "en": f"Notice {n}"},
            body={"it": "testo", "en": "text"},
        )
        session.add(announcement)
        session.commit()
        assert invited.id is not None and mail.id is not None and question.id is not None
        assert announcement.id is not None
        assert pending.id is not None
        assert queued.id is not None and item.id is not None and token.id is not None
        assert other_device.id is not None
        assert phase.id is not None and warmup.id is not None
    invite_token = _teammate_joins(cast, slug)
    return World(
        slug=slug,
        challenge_id=challenge.id,
        phase_id=phase.id,
        warmup_id=warmup.id,
        team_a=team_a.id,
        team_b=team_b.id,
        teammate_id=cast.user_id("teammate"),
        scored_a=scored_a,
        queued_a=queued.id,
        set_id=rescore.id,
        item_id=item.id,
        invite_token=invite_token,
        code_a=team_a.invite_code,
        token_id=token.id,
        session_id=other_device.id,
        target_id=target.id,
        target_session=target_session.id,
        target_token=target_token.id,
        registration_id=pending.id,
        check_in_token=token_for(
            site.app.state.settings.resolved_secret_key(),  # type: ignore[attr-defined]
            pending,
        ),
        grant_id=invited.id,
        logo_digest=logo.sha256[:16],
        sheet_digest=hashlib.sha256(style_sheet({"identity": IDENTITY}).encode()).hexdigest()[:16],
        mail_id=mail.id,
        question_id=question.id,
        announcement_id=announcement.id,
        project_id=project.id,
        project_sha=project_file.sha256,
        vote_id=vote.id,
    )


# The smallest PNG header a logo route accepts (it checks the first bytes, like the loader).
LOGO = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _event(slug: str, logo_sha: str) -> Event:
    now = utcnow()
    return Event(
        slug=f"event-{slug}",
        title={"it": "Festa del mare", "en": "Sea festival"},
        summary={"it": "s", "en": "s"},
        config={"partners": [{"key": "port", "name": "Porto"}]},
        pages={"about": {"it": "Benvenuti", "en": "Welcome"}},
        logos={"port": logo_sha},
        registration_opens=now - timedelta(days=10),
        registration_closes=now + timedelta(days=10),
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=20),
        results_at=now + timedelta(days=21),
        published=True,
    )


def _teammate_joins(cast: Cast, slug: str) -> str:
    """The teammate follows the invitation link the captain's team page shows; its token.

    Through the real flow, so the teammate's membership is whatever joining makes it.
    """
    page = cast.browser("captain").get(f"/challenges/{slug}/team")
    found = INVITE_LINK.search(page.text)
    assert page.status_code == 200 and found, f"no invitation link for the captain: {page.text}"
    link = found.group(1).removeprefix(APP_URL)
    joined = cast.browser("teammate").post(
        link, headers={"X-CSRF-Token": cast.csrf["teammate"]}, follow_redirects=False
    )
    assert joined.status_code == 303, f"the teammate could not join: {joined.text}"
    assert joined.headers["location"].removeprefix(APP_URL) == f"/challenges/{slug}/team"
    return link.rsplit("/", 1)[1]


def _count(session: Session, model: type, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def snapshot(site: TestClient, world: World) -> dict[str, object]:
    """Everything a route of the table can change in a world, one entry per effect."""
    with Session(engine_of(site)) as session:
        challenge = session.get(Challenge, world.challenge_id)
        phase = session.get(Phase, world.phase_id)
        team_a = session.get(Team, world.team_a)
        team_b = session.get(Team, world.team_b)
        scored = session.get(Submission, world.scored_a)
        queued = session.get(Submission, world.queued_a)
        rescore = session.get(RescoreSet, world.set_id)
        token = session.get(ApiToken, world.token_id)
        other_device = session.get(UserSession, world.session_id)
        assert challenge and phase and team_a and scored and queued and rescore and token
        assert other_device
        target = session.get(User, world.target_id)
        target_session = session.get(UserSession, world.target_session)
        target_token = session.get(ApiToken, world.target_token)
        assert target and target_session and target_token
        mail_row = session.get(OutboxMail, world.mail_id)

        def members(team_id: int) -> tuple[int, ...]:
            rows = session.exec(select(Membership.user_id).where(Membership.team_id == team_id))
            return tuple(sorted(rows))

        cid = world.challenge_id
        return {
            "published": challenge.published,
            "grants": _count(session, RoleGrant, col(RoleGrant.challenge_id) == cid),
            "frozen": challenge.frozen_at,
            "revealed": challenge.private_revealed,
            "phase_dates": (phase.start, phase.end),
            "teams": _count(session, Team, col(Team.challenge_id) == cid),
            "captain_a": team_a.captain_id,
            "code_a": team_a.invite_code,
            "code_b": team_b.invite_code if team_b else None,
            "members_a": members(world.team_a),
            "members_b": members(world.team_b),
            "approved_a": team_a.approved,
            "disqualified_a": team_a.disqualified_reason,
            "final_a": scored.selected_final,
            "queued_a": str(queued.status),
            "subs_a": _count(session, Submission, col(Submission.team_id) == world.team_a),
            "subs_b": _count(session, Submission, col(Submission.team_id) == world.team_b),
            "set_status": str(rescore.status),
            "sets": _count(session, RescoreSet, col(RescoreSet.challenge_id) == cid),
            "judges": _count(session, JudgeAssignment, col(JudgeAssignment.challenge_id) == cid),
            "reviews": _count(session, Review, col(Review.challenge_id) == cid),
            "token_revoked": token.revoked,
            "session_ended": other_device.ended_at is not None,
            "audit": _count(session, AuditEvent, col(AuditEvent.challenge_id) == cid),
            "target_role": str(target.role),
            "target_active": target.is_active,
            "target_session": target_session.ended_at is not None,
            "target_token": target_token.revoked,
            "target_audit": _count(session, AuditEvent, col(AuditEvent.target) == target.email),
            "event_published": session.exec(
                select(Event.published).where(Event.slug == world.event_slug)
            ).one(),
            "mail_status": str(mail_row.status) if mail_row else None,
            "questions": _count(session, Question, col(Question.challenge_id) == cid),
            "votes": tuple(
                sorted(
                    (v.voter_id, v.team_id, v.voided_at is not None)
                    for v in session.exec(select(Vote).where(Vote.challenge_id == cid))
                )
            ),
            "vote_reveal": session.get(VoteReveal, cid) is not None,
            "question_a": session.exec(
                select(Question.state, Question.answer, Question.public_text).where(
                    Question.id == world.question_id
                )
            ).first(),
            "announcements": tuple(
                (a.id, a.pinned, a.title.get("en"))
                for a in session.exec(
                    select(Announcement)
                    .where(
                        col(Announcement.challenge_id).in_([cid])
                        | col(Announcement.event_id).in_(
                            select(Event.id).where(Event.slug == world.event_slug)
                        )
                    )
                    .order_by(col(Announcement.id))
                )
            ),
            "project_versions": _count(
                session,
                ProjectVersion,
                col(ProjectVersion.project_id).in_(
                    select(Project.id).where(Project.challenge_id == cid)
                ),
            ),
            "opted_out": tuple(
                sorted(
                    p.team_id
                    for p in session.exec(select(Project).where(Project.challenge_id == cid))
                    if p.gallery_opt_out
                )
            ),
            "gallery": (row := session.get(ProjectGallery, cid)) is not None
            and row.published_at is not None,
            "results_published": session.exec(
                select(Event.results_published).where(Event.slug == world.event_slug)
            ).one(),
            "registrations": tuple(
                sorted(
                    (r.user_id, r.status, r.looking_for_team, r.checked_in_at is not None)
                    for r in session.exec(
                        select(Registration)
                        .join(Event, col(Event.id) == col(Registration.event_id))
                        .where(Event.slug == world.event_slug)
                    )
                )
            ),
        }


# --- what some rows need changed in their fresh world first --------------------------------


def _edit(site: TestClient, model: type, row_id: int, **values: object) -> None:
    with Session(engine_of(site)) as session:
        row = session.get(model, row_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        session.commit()


Prepare = Callable[[TestClient, World], None]


def unpublished(site: TestClient, world: World) -> None:
    _edit(site, Challenge, world.challenge_id, published=False)


def captain_registered(site: TestClient, world: World) -> None:
    """The captain is registered for the world's event (so that withdrawing has something to do)."""
    with Session(engine_of(site)) as session:
        event = session.exec(select(Event).where(Event.slug == world.event_slug)).one()
        captain = session.exec(select(User).where(User.email == "captain@example.org")).one()
        assert event.id is not None and captain.id is not None
        session.add(Registration(event_id=event.id, user_id=captain.id, status="registered"))
        session.commit()


def target_registered(site: TestClient, world: World) -> None:
    """The target's registration is approved, so that it can be checked in."""
    _edit(site, Registration, world.registration_id, status="registered")


def frozen(site: TestClient, world: World) -> None:
    _edit(site, Challenge, world.challenge_id, frozen_at=utcnow() - timedelta(hours=1))


def revealed(site: TestClient, world: World) -> None:
    _edit(site, Challenge, world.challenge_id, private_revealed=True)


def awaiting_approval(site: TestClient, world: World) -> None:
    _edit(site, Team, world.team_a, approved=False)


def disqualified(site: TestClient, world: World) -> None:
    _edit(site, Team, world.team_a, disqualified_reason="copied the reference data")


def no_judges(site: TestClient, world: World) -> None:
    with Session(engine_of(site)) as session:
        for row in session.exec(
            select(JudgeAssignment).where(JudgeAssignment.challenge_id == world.challenge_id)
        ):
            session.delete(row)
        session.commit()


def inactive_target(site: TestClient, world: World) -> None:
    _edit(site, User, world.target_id, is_active=False)
