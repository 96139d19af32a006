"""Who may call every route of the site, from one table: one row per (method, path).

Each row gives the outcome for each role, in the order of `ROLES`:

    anonymous  other (member of another team)  captain (of team A)  teammate (plain member of
    team A, joined by its invitation link)  judge  organiser  admin

Outcomes:
- allowed:   2xx, or a 3xx that is not the login page (the row's `to` says where, if it matters)
- login:     pages redirect to /login?next=<path>; the JSON API answers 401
- forbidden: 403
- missing:   404 (what a team's object looks like to anyone outside it: ids cannot be probed)
- refused:   another 4xx: the route ran for the caller and declined (e.g. "already in a team")

Every response is also checked for team A's private data (`SECRET`): it appears for the roles
in `shows` and for nobody else; for team A's invitation code and link (`INVITE`): they appear
for the roles in `invite` (the captain at most) and for nobody else; the organisers' half of the
logs (`STAFF_ONLY`) and the unrevealed private score never reach a participant or a judge. `changes` lists what the call changes in the world (see
`authz_world.snapshot`): those entries change for exactly the roles named (by default the roles
whose outcome is "allowed"), and nothing else changes for anyone. Rows marked `fresh` get a new
world for every call. Values in `{braces}` come from the world (`World.params`) or the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.challenges.models import Challenge, Phase
from app.core.db import utcnow
from app.submissions.excerpts import cut_excerpt, digest
from app.submissions.log_policy import DEFAULT_EXCERPT_BYTES
from tests.app.accounts.helpers import PASSWORD
from tests.app.organisers.org_helpers import SEA, zip_folder
from tests.app.web.web_helpers import engine_of
from tests.authz.authz_world import (
    PROJECT_PDF,
    ROLES,
    SECRET,
    WALKER,
    Prepare,
    World,
    awaiting_approval,
    captain_registered,
    disqualified,
    frozen,
    inactive_target,
    no_judges,
    revealed,
    target_registered,
    unpublished,
)

OUTCOMES = frozenset({"allowed", "login", "forbidden", "missing", "refused"})


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the route's path template, exactly as the app declares it
    expect: str  # seven outcomes, one per role in ROLES order
    fresh: bool = False  # a new world for every call (the call changes things)
    form: dict[str, str] | None = None
    json: dict[str, object] | None = None
    upload: tuple[str, str, bytes] | None = None  # multipart (field, filename, content)
    use: dict[str, str] = field(default_factory=dict)  # path parameter -> world parameter
    shows: str = ""  # roles whose response carries team A's SECRET
    invite: str = ""  # roles whose response carries team A's invitation code or link
    text: str = ""  # in the body of every 2xx of an allowed call
    to: str = ""  # the start of the Location of every 3xx of an allowed call
    changes: str | dict[str, str] = ""  # snapshot entries -> roles that change them
    prepare: Prepare | None = None  # applied to the fresh world before the call
    isolated: bool = False  # a new browser of the caller's (the call logs in or out)
    stream: int = 0  # Server-Sent Events: read this many blocks, then hang up
    bearer: bool = False  # send the caller's API token although the path is not under /api/
    also_ok: tuple[int, ...] = ()  # statuses that also count as "allowed"
    query: str = ""  # appended to the filled path, e.g. "?s={submission_id}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def outcomes(self) -> dict[str, str]:
        words = self.expect.split()
        assert len(words) == len(ROLES), f"{self.key}: {len(words)} outcomes for {len(ROLES)} roles"
        assert set(words) <= OUTCOMES, f"{self.key}: unknown outcome in {words}"
        return dict(zip(ROLES, words, strict=True))

    def changed_by(self) -> dict[str, frozenset[str]]:
        if isinstance(self.changes, str):
            allowed = frozenset(r for r, o in self.outcomes.items() if o == "allowed")
            return {entry: allowed for entry in self.changes.split()}
        return {entry: frozenset(roles.split()) for entry, roles in self.changes.items()}

    @property
    def shown_to(self) -> frozenset[str]:
        return frozenset(self.shows.split())

    @property
    def invited(self) -> frozenset[str]:
        return frozenset(self.invite.split())


# Mounted apps serve files, not routes: each is named here so a new mount needs a decision too.
EXEMPT_MOUNTS = {
    "/static": "the CSS, scripts and images of the pages: public by design",
    "/api/docs/assets": "Swagger UI's script, stylesheet and icon for /api/docs: public by design",
}

# fmt: off
#                       anonymous other     captain   teammate  judge     organiser admin
PUBLIC =               "allowed   allowed   allowed   allowed   allowed   allowed   allowed"
SIGNED_IN =            "login     allowed   allowed   allowed   allowed   allowed   allowed"
ORGANISERS =           "login     forbidden forbidden forbidden forbidden allowed   allowed"
TEAM_AND_ORGANISERS =  "login     missing   allowed   allowed   missing   allowed   allowed"
TEAM_ONLY =            "login     missing   allowed   allowed   missing   missing   missing"
TOKEN_OWNER =          "login     missing   allowed   missing   missing   missing   missing"
# Team actions act on the caller's own team: outsiders of team A never reach it.
WITH_A_TEAM =          "login     allowed   allowed   allowed   forbidden forbidden forbidden"
OWN_TEAM =             "login     allowed   allowed   allowed   missing   missing   missing"
JOIN_TEAM_A =          "login     refused   refused   refused   allowed   allowed   allowed"
# The captain of a team with others in it must hand over first; other is team B's last member.
LEAVE =                "login     refused   refused   allowed   missing   missing   missing"
# Captain-only actions: the teammate is turned away with 403, on the pages and in the API.
HAND_OVER =            "login     refused   allowed   forbidden missing   missing   missing"
NEW_CODE =             "login     allowed   allowed   forbidden missing   missing   missing"
ADMINS =               "login     forbidden forbidden forbidden forbidden forbidden allowed"
JUDGES =               "login     forbidden forbidden forbidden allowed   allowed   allowed"
JUDGE_ASSIGNED =       "login     forbidden forbidden forbidden allowed   missing   missing"
# Project reviews on a challenge that is no project track: staff find nothing there.
NOT_A_TRACK_ORGANISE = "login     forbidden forbidden forbidden forbidden missing   missing"
NOT_A_TRACK_JUDGE =    "login     forbidden forbidden forbidden missing   missing   missing"
# An event's registrations: its organisers (any site organiser when it lists none) and admins.
EVENT_ORGANISERS =     "login     missing   missing   missing   missing   allowed   allowed"
# Unpublished results: the event's organisers preview them; to everyone else there are none.
RESULTS_PREVIEW =      "missing   missing   missing   missing   missing   allowed   allowed"
# The teammates board: the event's registered people (none in the base world) and organisers.
EVENT_PEOPLE =         "login     forbidden forbidden forbidden forbidden allowed   allowed"
# Only someone registered can withdraw (the captain, in the row's world); others are refused.
WITHDRAW =             "login     refused   allowed   refused   refused   refused   refused"
UPLOAD_EVENT =         "login     forbidden forbidden forbidden forbidden refused   refused"
# The world's event has no track prize: its organisers are refused the key, others see nothing.
AWARD =                "login     missing   missing   missing   missing   refused   refused"
NOWHERE =              "missing   missing   missing   missing   missing   missing   missing"
NOBODY =               "forbidden forbidden forbidden forbidden forbidden forbidden forbidden"
# A mailed link's page without a valid token: it runs for everyone and declines.
BAD_LINK =             "refused   refused   refused   refused   refused   refused   refused"
# People's choice: a vote for team A (its members may not); withdrawing someone else's vote.
SELF_VOTE =            "login     allowed   forbidden forbidden allowed   allowed   allowed"
NO_VOTE_OF_THEIRS =    "login     missing   missing   missing   missing   missing   missing"
# fmt: on

TEAM_A = "captain teammate"
# Team A's project before the gallery is published: its team and the challenge's staff.
PROJECT_SEEN = "missing   missing   allowed   allowed   allowed   allowed   allowed"
PROJECT_INSIDERS = "captain teammate judge organiser admin"


def excerpt_phase(site: TestClient, world: World) -> None:
    """Team A's phase takes code and shows teams only excerpts an organiser approved."""
    with Session(engine_of(site)) as session:
        phase = session.get(Phase, world.phase_id)
        assert phase is not None
        phase.kind = "code"
        phase.code = {"command": ["python3", "main.py"], "logs": "excerpt"}
        session.add(phase)
        session.commit()


def _people_choice(site: TestClient, world: World, *, closed: bool) -> None:
    """The world's challenge gets a people's choice vote (open now, or closed an hour ago);
    without one, its vote pages do not exist."""
    now = utcnow()
    with Session(engine_of(site)) as session:
        challenge = session.get(Challenge, world.challenge_id)
        assert challenge is not None
        start, end = (
            (now - timedelta(days=2), now - timedelta(hours=1))
            if closed
            else (now - timedelta(hours=1), now + timedelta(days=1))
        )
        choice = {"max_votes": 3, "start": start.isoformat(), "end": end.isoformat()}
        challenge.config = {**challenge.config, "project": {"people_choice": choice}}
        session.add(challenge)
        session.commit()


def voting_open(site: TestClient, world: World) -> None:
    _people_choice(site, world, closed=False)


def voting_closed(site: TestClient, world: World) -> None:
    _people_choice(site, world, closed=True)


# The excerpt of team A's logs (authz_world.build_world) an organiser approves, by digest.
EXCERPT_SEEN = digest(
    cut_excerpt({"participant": {"stdout": f"read 1 row ({SECRET} notes)"}}, DEFAULT_EXCERPT_BYTES)
)
TEAM_A_SEES = "captain teammate organiser admin"
NEW_SUBMISSION = b"id,value\n1,0.25\n"
BUNDLE = zip_folder(SEA)
REVIEW = {"rating_method": "4", "rating_use": "3", "comment": "clear method"}
NEW_CODE_CHANGES = {"code_a": "captain", "code_b": "other"}
SUBMITTED = {"subs_a": TEAM_A, "subs_b": "other"}

# fmt: off
TABLE: list[Row] = [
    # --- accounts ------------------------------------------------------------------------------
    Row("GET",  "/signup", PUBLIC),
    Row("POST", "/signup", PUBLIC, isolated=True, to="/",
        form={"name": "Newcomer", "email": "new-{n}@example.org", "password": PASSWORD}),
    Row("GET",  "/login", PUBLIC),
    Row("POST", "/login", PUBLIC, isolated=True, to="/",
        form={"email": WALKER, "password": PASSWORD}),
    Row("POST", "/logout", PUBLIC, isolated=True, to="/"),
    Row("GET",  "/login/oidc/{name}", NOWHERE),  # no provider is configured: nothing to reach
    Row("GET",  "/login/oidc/{name}/callback", NOWHERE),
    Row("GET",  "/account", SIGNED_IN, text="{email}"),
    Row("POST", "/account/tokens", SIGNED_IN, form={"name": "authz {n}"}, text="marea_"),
    Row("POST", "/account/tokens/{token_id}/revoke", TOKEN_OWNER, fresh=True, to="/account",
        changes="token_revoked"),  # the captain's token: only its owner may revoke it
    # the captain's session on another device: only its owner may end it
    Row("POST", "/account/sessions/{session_id}/end", TOKEN_OWNER, fresh=True, to="/account",
        changes="session_ended"),
    # "log out everywhere else": each caller's other sessions end (the world's is the captain's)
    Row("POST", "/account/sessions/end-others", SIGNED_IN, fresh=True, to="/account",
        changes={"session_ended": "captain"}),
    Row("GET",  "/api/v1/me", SIGNED_IN, text="{email}"),
    # --- mail: forgotten password, address verification, password and address change -----------
    Row("GET",  "/password/forgot", PUBLIC, text="/password/forgot"),
    # the same answer for everyone, whatever the address (a mail leaves only for an account)
    Row("POST", "/password/forgot", PUBLIC, form={"email": "{email}"}, text='id="reset-sent"'),
    Row("GET",  "/password/reset", BAD_LINK, query="?token=not-a-token"),
    Row("POST", "/password/reset", BAD_LINK, form={"token": "not-a-token", "password": "x" * 12}),
    Row("GET",  "/email/verify", BAD_LINK, query="?token=not-a-token"),
    Row("POST", "/email/verify", BAD_LINK, form={"token": "not-a-token"}),
    Row("POST", "/account/verify", SIGNED_IN, to="/account"),
    # each caller's other sessions end (the world's other device is the captain's)
    Row("POST", "/account/password", SIGNED_IN, fresh=True, to="/account",
        form={"current_password": PASSWORD, "new_password": PASSWORD},
        changes={"session_ended": "captain"}),
    Row("POST", "/account/email", SIGNED_IN, to="/account",
        form={"new_email": "moved-{n}@example.org", "address_password": PASSWORD}),
    Row("POST", "/account/notifications", SIGNED_IN, to="/account",
        form={"notice": "results"}),
    Row("POST", "/account/language", SIGNED_IN, to="/account", form={"language": "it"}),
    # a mailed unsubscribe link: the signed token is the proof, so it runs for everyone
    Row("GET",  "/notifications/unsubscribe/{token}", BAD_LINK),
    Row("POST", "/notifications/unsubscribe/{token}", BAD_LINK),
    # --- admin: accounts of others (the world's own target account) --------------------------------
    Row("GET",  "/admin/users", ADMINS, text='id="users"'),
    Row("GET",  "/admin/users/{user_id}", ADMINS, use={"user_id": "target_id"}, text="Target"),
    Row("POST", "/admin/users/{user_id}/role", ADMINS, fresh=True, use={"user_id": "target_id"},
        form={"role": "judge", "confirm": "yes"}, to="/admin/users/{target_id}",
        changes="target_role target_session target_audit"),
    Row("POST", "/admin/users/{user_id}/deactivate", ADMINS, fresh=True,
        use={"user_id": "target_id"}, form={"confirm": "yes"}, to="/admin/users/{target_id}",
        changes="target_active target_session target_token target_audit"),
    Row("POST", "/admin/users/{user_id}/activate", ADMINS, fresh=True,
        use={"user_id": "target_id"}, prepare=inactive_target, to="/admin/users/{target_id}",
        changes="target_active target_audit"),
    Row("POST", "/admin/users/{user_id}/logout", ADMINS, fresh=True, use={"user_id": "target_id"},
        form={"confirm": "yes"}, to="/admin/users/{target_id}",
        changes="target_session target_audit"),
    # --- admin: the outbox (the world's failed mail to the target) -------------------------------
    Row("GET",  "/admin/outbox", ADMINS, text='id="outbox"'),
    Row("GET",  "/admin/outbox/{mail_id}", ADMINS, text="451 try later"),
    Row("POST", "/admin/outbox/{mail_id}/resend", ADMINS, fresh=True, to="/admin/outbox/{mail_id}",
        changes="mail_status"),
    # --- public pages, files and API --------------------------------------------------------------
    Row("GET",  "/", PUBLIC, text="/challenges/{slug}"),
    Row("GET",  "/challenges", PUBLIC, text="/challenges/{slug}"),
    Row("GET",  "/events", PUBLIC, text="/events/{event}"),
    Row("GET",  "/events/{slug}", PUBLIC, use={"slug": "event"}, text="Festa del mare"),
    Row("GET",  "/events/{slug}/calendar.ics", PUBLIC, use={"slug": "event"},
        text="BEGIN:VCALENDAR"),
    Row("GET",  "/events/{slug}/partners/{key}/logo", PUBLIC, use={"slug": "event", "key": "logo"},
        text="PNG"),
    Row("GET",  "/events/{slug}/register", SIGNED_IN, use={"slug": "event"}, text="Festa del mare"),
    Row("POST", "/events/{slug}/register", SIGNED_IN, fresh=True, use={"slug": "event"},
        form={}, to="/events/", changes="registrations"),
    Row("POST", "/events/{slug}/withdraw", WITHDRAW, fresh=True, use={"slug": "event"},
        prepare=captain_registered, form={"confirm": "yes"}, to="/events/",
        changes="registrations"),
    Row("GET",  "/events/{slug}/teammates", EVENT_PEOPLE, use={"slug": "event"},
        text="Festa del mare"),
    Row("POST", "/events/{slug}/teammates", WITHDRAW, fresh=True, use={"slug": "event"},
        prepare=captain_registered, form={"looking": "yes", "pitch": "data person"},
        to="/events/", changes="registrations"),
    Row("GET",  "/events/{slug}/winners", RESULTS_PREVIEW, use={"slug": "event"},
        text="Festa del mare"),
    Row("POST", "/events/{slug}/results", EVENT_ORGANISERS, fresh=True, use={"slug": "event"},
        form={"publish": "yes", "confirm": "yes"}, to="/events/", changes="results_published"),
    Row("GET",  "/events/{slug}/audit", EVENT_ORGANISERS, use={"slug": "event"}),
    Row("POST", "/events/{slug}/prizes", AWARD, use={"slug": "event"},
        form={"key": "track:First prize", "team_id": "{team_id}"}),
    Row("GET",  "/events/{slug}/check-in", EVENT_ORGANISERS, use={"slug": "event"},
        text="Festa del mare"),
    Row("GET",  "/events/{slug}/check-in/{token}", EVENT_ORGANISERS,
        use={"slug": "event", "token": "check_in_token"}, text="target"),
    Row("POST", "/events/{slug}/registrations/{registration_id}/check-in", EVENT_ORGANISERS,
        fresh=True, use={"slug": "event"}, prepare=target_registered, to="/events/",
        changes="registrations"),
    Row("GET",  "/events/{slug}/registrations", EVENT_ORGANISERS, use={"slug": "event"},
        text="target"),
    Row("GET",  "/events/{slug}/registrations.csv", EVENT_ORGANISERS, use={"slug": "event"},
        text="email"),
    Row("POST", "/events/{slug}/registrations/{registration_id}/approve", EVENT_ORGANISERS,
        fresh=True, use={"slug": "event"}, to="/events/", changes="registrations"),
    Row("GET",  "/challenges/{slug}", PUBLIC, text="Temperatura"),
    Row("GET",  "/challenges/{slug}/files/{path:path}", PUBLIC, text="18.5"),
    Row("GET",  "/challenges/{slug}/starter-kit.zip", PUBLIC, text="PK"),
    Row("GET",  "/challenges/{slug}/identity/colours-{sheet}.css", PUBLIC, text="--identity-primary"),
    Row("GET",  "/challenges/{slug}/identity/{key}-{digest}", PUBLIC, text="PNG"),
    Row("GET",  "/challenges/{slug}/leaderboard", PUBLIC, text="Delfini"),
    Row("GET",  "/challenges/{slug}/leaderboard/teams/{team_id}", PUBLIC, text="Delfini"),
    Row("GET",  "/healthz", PUBLIC, text="status", also_ok=(503,)),  # 503: Docker away, say
    Row("GET",  "/metrics", NOBODY, bearer=True),  # the scraper's token or localhost, no user
    Row("GET",  "/api/openapi.json", PUBLIC, text="/api/v1/submissions/"),
    Row("GET",  "/api/docs", PUBLIC, text="swagger"),
    Row("GET",  "/docs/oauth2-redirect", PUBLIC, text="oauth2"),
    Row("GET",  "/api/v1/challenges", PUBLIC, text="{slug}"),
    Row("GET",  "/api/v1/challenges/{slug}", PUBLIC, text="development"),
    Row("GET",  "/api/v1/challenges/{slug}/leaderboard", PUBLIC, text="Delfini"),
    Row("GET",  "/api/v1/challenges/{slug}/events", PUBLIC, stream=1, text="retry:"),
    # --- questions: team A's question is its own until the organisers publish it ---------------
    Row("GET",  "/challenges/{slug}/questions", PUBLIC, shows=TEAM_A),
    Row("POST", "/challenges/{slug}/questions", SIGNED_IN, fresh=True,
        form={"text": "Is the final phase scored on new buoys?"}, to="/challenges/{slug}/questions",
        changes="questions"),
    Row("GET",  "/api/v1/challenges/{slug}/questions", PUBLIC, shows=TEAM_A),
    Row("POST", "/api/v1/challenges/{slug}/questions", SIGNED_IN, fresh=True,
        json={"text": "Is the final phase scored on new buoys?"}, changes="questions"),
    Row("GET",  "/api/v1/challenges/{slug}/questions/events", PUBLIC, stream=1, text="retry:"),
    # --- projects: a team's own form; its project is the team's and staff's until published ---
    # someone without a team is sent to the team page to form or join one
    Row("GET",  "/challenges/{slug}/project", SIGNED_IN, shows=TEAM_A),
    Row("POST", "/challenges/{slug}/project", OWN_TEAM, fresh=True, to="/challenges/{slug}/project",
        form={"title": "Twin {n}", "summary": "flood risk", "licence": "MIT"},
        upload=("files", "report.pdf", PROJECT_PDF.replace(SECRET.encode(), b"x")),
        changes="project_versions"),
    # the captain's choice, as for a new code: each captain for their own team (other is team
    # B's captain); a teammate is turned away
    Row("POST", "/challenges/{slug}/project/gallery", NEW_CODE,
        fresh=True, form={"show": "no"}, to="/challenges/{slug}/project", changes="opted_out",
        shows="teammate"),  # the teammate's refusal is the team's own page, saying why
    Row("GET",  "/challenges/{slug}/projects", PUBLIC, shows=PROJECT_INSIDERS),
    Row("GET",  "/challenges/{slug}/projects/{project_id}", PROJECT_SEEN, shows=PROJECT_INSIDERS),
    Row("GET",  "/challenges/{slug}/projects/{project_id}/files/{sha256}", PROJECT_SEEN,
        shows=PROJECT_INSIDERS),
    # --- people's choice (app/projects/vote_pages.py): rows get a window by `prepare` -------
    Row("GET",  "/challenges/{slug}/vote", PUBLIC, fresh=True, prepare=voting_open, text="Delfini"),
    # a vote for team A: its own members are refused, everyone else signed in and verified votes
    Row("POST", "/challenges/{slug}/vote", SELF_VOTE, fresh=True, prepare=voting_open,
        form={"team_id": "{team_id}"}, to="/challenges/{slug}/vote", changes="votes"),
    # the world's one vote for team B is the target's: nobody else can withdraw it
    Row("POST", "/challenges/{slug}/vote/withdraw", NO_VOTE_OF_THEIRS, fresh=True,
        prepare=voting_open, form={"team_id": "{team_b}"}),
    Row("GET",  "/organise/{slug}/votes", ORGANISERS, fresh=True, prepare=voting_open,
        text="target-"),
    Row("POST", "/organise/{slug}/votes/{vote_id}/void", ORGANISERS, fresh=True,
        prepare=voting_open, form={"reason": "one of many accounts from one address"},
        to="/organise/{slug}/votes", changes="votes audit"),
    Row("POST", "/organise/{slug}/votes/reveal", ORGANISERS, fresh=True, prepare=voting_closed,
        to="/organise/{slug}/votes", changes="vote_reveal audit"),
    # --- teams: pages -----------------------------------------------------------------------------
    Row("GET",  "/challenges/{slug}/team", SIGNED_IN, invite="captain"),
    # the captain's refusals show their own team page again: its invitation code included
    Row("POST", "/challenges/{slug}/team/create", JOIN_TEAM_A, fresh=True, form={"name": "Nuova"},
        invite="captain", to="/challenges/{slug}/team", changes="teams"),
    Row("POST", "/challenges/{slug}/team/join", JOIN_TEAM_A, fresh=True, form={"code": "{code}"},
        invite="captain", to="/challenges/{slug}/team", changes="members_a"),
    Row("GET",  "/challenges/{slug}/join/{token}", SIGNED_IN, text="{token}"),
    Row("POST", "/challenges/{slug}/join/{token}", JOIN_TEAM_A, fresh=True, invite="captain",
        to="/challenges/{slug}/team", changes="members_a"),
    Row("POST", "/challenges/{slug}/team/leave", LEAVE, fresh=True, invite="captain",
        to="/challenges/{slug}/team", changes="members_a"),
    Row("POST", "/challenges/{slug}/team/captain", HAND_OVER, fresh=True,
        form={"user_id": "{teammate_id}"}, to="/challenges/{slug}/team", changes="captain_a"),
    Row("POST", "/challenges/{slug}/team/code", NEW_CODE, fresh=True,
        to="/challenges/{slug}/team", changes=NEW_CODE_CHANGES),
    # the captain mails the link of their own team (other is team B's captain)
    Row("POST", "/challenges/{slug}/team/invite", NEW_CODE, form={"email": "friend-{n}@example.org"},
        to="/challenges/{slug}/team"),
    # --- teams: API -------------------------------------------------------------------------------
    Row("GET",  "/api/v1/challenges/{slug}/team", OWN_TEAM, text="members", invite="captain"),
    Row("POST", "/api/v1/challenges/{slug}/teams", JOIN_TEAM_A, fresh=True, json={"name": "Nuova"},
        text="Nuova", changes="teams"),
    Row("POST", "/api/v1/challenges/{slug}/team/join", JOIN_TEAM_A, fresh=True,
        json={"code": "{code}"}, text="Delfini", changes="members_a"),
    Row("POST", "/api/v1/challenges/{slug}/team/leave", LEAVE, fresh=True, changes="members_a"),
    # afterwards the teammate is captain: the one who handed over no longer gets the code
    Row("POST", "/api/v1/challenges/{slug}/team/captain", HAND_OVER, fresh=True,
        json={"user_id": "{teammate_id}"}, text="Delfini", changes="captain_a"),
    Row("POST", "/api/v1/challenges/{slug}/team/code", NEW_CODE, fresh=True, text="invite_code",
        changes=NEW_CODE_CHANGES),
    # --- submissions: pages -----------------------------------------------------------------------
    Row("GET",  "/challenges/{slug}/submit", SIGNED_IN),
    Row("POST", "/challenges/{slug}/submit", WITH_A_TEAM, fresh=True, to="/submissions/",
        upload=("file", "p.csv", NEW_SUBMISSION), changes=SUBMITTED),
    Row("GET",  "/challenges/{slug}/submissions", SIGNED_IN, shows=TEAM_A),
    Row("GET",  "/submissions/{submission_id}", TEAM_AND_ORGANISERS, shows=TEAM_A_SEES),
    Row("GET",  "/submissions/{submission_id}/result", TEAM_AND_ORGANISERS, shows=TEAM_A_SEES),
    Row("POST", "/submissions/{submission_id}/final", TEAM_ONLY, fresh=True, form={"selected": "1"},
        to="/submissions/{submission_id}", changes="final_a"),
    # the list's one form of final ticks; outsiders (and the staff, who have no team) find nothing
    Row("POST", "/challenges/{slug}/submissions/finals", TEAM_ONLY, fresh=True,
        form={"shown": "{submission_id}", "final": "{submission_id}"},
        to="/challenges/{slug}/submissions?saved=1", changes="final_a"),
    Row("GET",  "/challenges/{slug}/submissions/compare", TEAM_AND_ORGANISERS, shows=TEAM_A_SEES,
        query="?s={submission_id}&s={queued_id}", text="{queued_id}"),
    # a team withdraws its own queued submission; organisers cancel from their own page
    Row("POST", "/submissions/{submission_id}/cancel", TEAM_ONLY, fresh=True,
        use={"submission_id": "queued_id"}, to="/submissions/{queued_id}?cancelled=1",
        changes="queued_a audit"),
    # --- submissions: API -------------------------------------------------------------------------
    Row("POST", "/api/v1/challenges/{slug}/submissions", WITH_A_TEAM, fresh=True,
        upload=("file", "p.csv", NEW_SUBMISSION), text="queued", changes=SUBMITTED),
    Row("GET",  "/api/v1/challenges/{slug}/submissions", WITH_A_TEAM, shows=TEAM_A),
    Row("GET",  "/api/v1/submissions/{submission_id}", TEAM_AND_ORGANISERS, shows=TEAM_A_SEES),
    Row("POST", "/api/v1/submissions/{submission_id}/cancel", TEAM_ONLY, fresh=True,
        use={"submission_id": "queued_id"}, text="cancelled", changes="queued_a audit"),
    Row("POST", "/api/v1/submissions/{submission_id}/final", TEAM_ONLY, fresh=True,
        json={"selected": True}, shows=TEAM_A, changes="final_a"),
    Row("GET",  "/api/v1/submissions/{submission_id}/events", TEAM_AND_ORGANISERS, stream=2,
        text="event: status"),
    # --- organisers -------------------------------------------------------------------------------
    Row("GET",  "/organise", ORGANISERS, text="{slug}"),
    Row("POST", "/organise/upload", ORGANISERS, upload=("bundle", "sea.zip", BUNDLE),
        to="/organise/sea-surface-temperature"),
    Row("GET",  "/organise/dashboard", ORGANISERS),
    # --- announcements (the world's: to the challenge's teams) ---------------------------------
    Row("GET",  "/challenges/{slug}/announcements", PUBLIC),
    Row("GET",  "/events/{slug}/announcements", PUBLIC, use={"slug": "event"}),
    Row("GET",  "/announcements/events", PUBLIC, stream=1, text="retry:", query="?challenge={slug}"),
    Row("GET",  "/api/v1/challenges/{slug}/announcements", PUBLIC, text="items"),
    Row("GET",  "/organise/{slug}/announcements", ORGANISERS, text="Avviso"),
    Row("POST", "/organise/{slug}/announcements", ORGANISERS, fresh=True,
        form={"title_en": "Hello", "body_en": "text", "audience": "teams"},
        to="/organise/{slug}/announcements", changes="announcements audit"),
    Row("GET",  "/events/{slug}/announcements/manage", EVENT_ORGANISERS, use={"slug": "event"}),
    Row("POST", "/events/{slug}/announcements/manage", EVENT_ORGANISERS, fresh=True,
        use={"slug": "event"}, form={"title_en": "Hello", "body_en": "text"},
        to="/events/", changes="announcements"),
    Row("GET",  "/announcements/{announcement_id}/edit", EVENT_ORGANISERS, text="Avviso"),
    Row("POST", "/announcements/{announcement_id}/edit", EVENT_ORGANISERS, fresh=True,
        form={"title_en": "Changed", "body_en": "text", "audience": "teams"},
        to="/organise/{slug}/announcements", changes="announcements audit"),
    Row("POST", "/announcements/{announcement_id}/pin", EVENT_ORGANISERS, fresh=True,
        form={"pinned": "yes"}, to="/organise/{slug}/announcements",
        changes="announcements audit"),
    Row("POST", "/announcements/{announcement_id}/delete", EVENT_ORGANISERS, fresh=True,
        form={"confirm": "yes"}, to="/organise/{slug}/announcements",
        changes="announcements audit"),
    Row("GET",  "/organise/roles", ORGANISERS, text="invited-{slug}@example.org"),
    Row("GET",  "/organise/events", ORGANISERS, text="event-{slug}"),
    # Not a zip: refused before anything is read, for everyone who may enter at all.
    Row("POST", "/organise/events/upload", UPLOAD_EVENT,
        upload=("bundle", "event.txt", b"not a zip")),
    Row("POST", "/organise/events/{slug}/publish", ORGANISERS, fresh=True, use={"slug": "event"},
        form={"publish": "no"}, to="/organise/events", changes="event_published"),
    Row("POST", "/organise/roles", ORGANISERS, fresh=True,
        form={"email": "new-owner-{n}@example.org", "what": "challenge:{challenge_id}:owner"},
        to="/organise/roles", changes="grants audit"),
    Row("POST", "/organise/roles/{grant_id}/revoke", ORGANISERS, fresh=True,
        to="/organise/roles", changes="grants audit"),
    Row("GET",  "/organise/{slug}", ORGANISERS),
    Row("GET",  "/organise/{slug}/preview", ORGANISERS, text="Temperatura"),
    Row("GET",  "/organise/{slug}/questions", ORGANISERS, shows="organiser admin",
        text="tide tables"),
    Row("GET",  "/organise/{slug}/questions/events", ORGANISERS, stream=1, text="retry:"),
    Row("POST", "/organise/{slug}/questions/{question_id}/answer", ORGANISERS, fresh=True,
        form={"answer": "Yes."}, to="/organise/{slug}/questions", changes="question_a audit"),
    Row("POST", "/organise/{slug}/questions/{question_id}/publish", ORGANISERS, fresh=True,
        form={"wording": "May we use the tide tables?", "answer": "Yes."},
        to="/organise/{slug}/questions", changes="question_a audit"),
    Row("POST", "/organise/{slug}/questions/{question_id}/dismiss", ORGANISERS, fresh=True,
        to="/organise/{slug}/questions", changes="question_a audit"),
    Row("POST", "/organise/{slug}/projects/publish", ORGANISERS, fresh=True,
        to="/challenges/{slug}/projects", changes="gallery audit"),
    Row("POST", "/organise/{slug}/publish", ORGANISERS, fresh=True, prepare=unpublished,
        to="/organise/{slug}", changes="published audit"),
    Row("POST", "/organise/{slug}/unpublish", ORGANISERS, fresh=True, to="/organise/{slug}",
        changes="published audit"),
    Row("POST", "/organise/{slug}/phases/{phase}", ORGANISERS, fresh=True,
        form={"start": "2030-01-01T00:00", "end": "2030-02-01T00:00"}, to="/organise/{slug}",
        changes="phase_dates audit"),
    Row("GET",  "/organise/{slug}/audit", ORGANISERS),
    Row("GET",  "/organise/{slug}/teams", ORGANISERS, text="Delfini"),
    Row("GET",  "/organise/{slug}/submissions", ORGANISERS, text="Delfini",
        shows="organiser admin"),
    Row("POST", "/organise/{slug}/teams/{team_id}/approve", ORGANISERS, fresh=True,
        prepare=awaiting_approval, to="/organise/{slug}/teams", changes="approved_a audit"),
    Row("POST", "/organise/{slug}/teams/{team_id}/disqualify", ORGANISERS, fresh=True,
        form={"reason": "copied the reference data"}, to="/organise/{slug}/teams",
        changes="disqualified_a audit"),
    Row("POST", "/organise/{slug}/teams/{team_id}/reinstate", ORGANISERS, fresh=True,
        prepare=disqualified, to="/organise/{slug}/teams", changes="disqualified_a audit"),
    Row("POST", "/organise/{slug}/submissions/{submission_id}/cancel", ORGANISERS, fresh=True,
        use={"submission_id": "queued_id"}, form={"reason": "stuck"},
        to="/organise/{slug}/teams", changes="queued_a audit"),
    Row("POST", "/organise/{slug}/freeze", ORGANISERS, fresh=True, to="/organise/{slug}",
        changes="frozen audit"),
    Row("POST", "/organise/{slug}/unfreeze", ORGANISERS, fresh=True, prepare=frozen,
        to="/organise/{slug}", changes="frozen audit"),
    # the confirmation page says what revealing exposes; development is open, hence `early`;
    # team A chose no final, so the reveal chooses its best public submission for it
    Row("GET",  "/organise/{slug}/reveal", ORGANISERS, text='name="early"'),
    Row("POST", "/organise/{slug}/reveal", ORGANISERS, fresh=True,
        form={"confirm": "yes", "early": "yes"}, to="/organise/{slug}",
        changes="revealed audit final_a"),
    Row("POST", "/organise/{slug}/hide-private", ORGANISERS, fresh=True, prepare=revealed,
        to="/organise/{slug}", changes="revealed audit"),
    Row("GET",  "/organise/{slug}/export/leaderboard.csv", ORGANISERS, text="Delfini",
        changes="audit"),
    Row("GET",  "/organise/{slug}/export/leaderboard.json", ORGANISERS, text="Delfini",
        changes="audit"),
    Row("GET",  "/organise/{slug}/export/submissions.csv", ORGANISERS, text="Delfini",
        shows="organiser admin", changes="audit"),
    Row("GET",  "/organise/{slug}/export/submissions.json", ORGANISERS, text="Delfini",
        shows="organiser admin", changes="audit"),
    Row("GET",  "/organise/{slug}/export/submissions.zip", ORGANISERS, text="PK", changes="audit"),
    # --- organisers: rescore sets -----------------------------------------------------------------
    Row("GET",  "/organise/{slug}/rescores", ORGANISERS,
        text="/organise/{slug}/rescores/{set_id}"),
    Row("POST", "/organise/{slug}/rescores", ORGANISERS, fresh=True,
        form={"phase": "development", "reason": "fixed metric"}, to="/organise/{slug}/rescores/",
        changes="sets audit"),
    Row("POST", "/organise/{slug}/submissions/{submission_id}/rescore", ORGANISERS, fresh=True,
        form={"reason": "appeal"}, to="/organise/{slug}/rescores/", changes="sets audit"),
    Row("GET",  "/organise/{slug}/rescores/{set_id}", ORGANISERS),
    Row("GET",  "/organise/{slug}/rescores/{set_id}/progress", ORGANISERS, text='"ready"'),
    Row("POST", "/organise/{slug}/rescores/{set_id}/apply", ORGANISERS, fresh=True,
        to="/organise/{slug}/rescores/{set_id}", changes="set_status audit"),
    Row("POST", "/organise/{slug}/rescores/{set_id}/discard", ORGANISERS, fresh=True,
        to="/organise/{slug}/rescores/{set_id}", changes="set_status audit"),
    Row("GET",  "/organise/{slug}/rescores/{set_id}/items/{item_id}/logs", ORGANISERS,
        text="organisers-eyes-only", shows="organiser admin"),
    # --- organisers: log excerpts -----------------------------------------------------------------
    Row("GET",  "/organise/{slug}/log-excerpts", ORGANISERS),
    Row("GET",  "/organise/{slug}/submissions/{submission_id}/log-excerpt", ORGANISERS,
        text="organisers-eyes-only", shows="organiser admin"),
    Row("POST", "/organise/{slug}/submissions/{submission_id}/log-excerpt", ORGANISERS,
        fresh=True, prepare=excerpt_phase, form={"excerpt_sha256": EXCERPT_SEEN},
        to="/organise/{slug}/submissions/{submission_id}/log-excerpt?approved=1",
        changes="audit"),
    # --- organisers: judging ----------------------------------------------------------------------
    Row("GET",  "/organise/{slug}/judges", ORGANISERS, text="{judge_email}"),
    Row("POST", "/organise/{slug}/judges", ORGANISERS, fresh=True, prepare=no_judges,
        form={"email": "{judge_email}"}, to="/organise/{slug}/judges", changes="judges audit"),
    Row("POST", "/organise/{slug}/judges/remove", ORGANISERS, fresh=True,
        form={"email": "{judge_email}"}, to="/organise/{slug}/judges", changes="judges audit"),
    Row("GET",  "/organise/{slug}/ranking", ORGANISERS, text="Delfini"),
    Row("GET",  "/organise/{slug}/reviews.csv", ORGANISERS),
    # --- judges (assigned to the challenge; organisers judge only where assigned) -----------------
    Row("GET",  "/judge", JUDGES),
    Row("GET",  "/judge/{slug}", JUDGE_ASSIGNED, text="Delfini"),
    Row("GET",  "/judge/{slug}/teams/{team_id}", JUDGE_ASSIGNED, shows="judge"),
    Row("POST", "/judge/{slug}/teams/{team_id}", JUDGE_ASSIGNED, fresh=True, form=REVIEW,
        to="/judge/{slug}/teams/{team_id}?saved=1", changes="reviews audit"),
    Row("GET",  "/judge/{slug}/teams/{team_id}/file", JUDGE_ASSIGNED, text="1,0.5"),
    Row("GET",  "/judge/{slug}/ranking", JUDGE_ASSIGNED, text="Delfini"),
    # --- project reviews (app/projects/review_pages.py) --------------------------------------------
    # The world's challenge is scored on a board, not a project track: its organisers and judges
    # reach the pages and are told there is nothing to review (404). Every role on a real project
    # track: tests/app/projects/test_review_access.py.
    Row("GET",  "/organise/{slug}/reviews", NOT_A_TRACK_ORGANISE),
    Row("POST", "/organise/{slug}/reviews/assign", NOT_A_TRACK_ORGANISE),
    Row("POST", "/organise/{slug}/reviews/add", NOT_A_TRACK_ORGANISE,
        form={"team_id": "{team_id}", "judge_id": "1"}),
    Row("POST", "/organise/{slug}/reviews/remove", NOT_A_TRACK_ORGANISE,
        form={"team_id": "{team_id}", "judge_id": "1"}),
    Row("GET",  "/judge/{slug}/projects", NOT_A_TRACK_JUDGE),
    Row("POST", "/judge/{slug}/projects/affiliation", NOT_A_TRACK_JUDGE,
        form={"affiliation": "Università di Genova"}),
    Row("POST", "/judge/{slug}/projects/conflicts", NOT_A_TRACK_JUDGE,
        form={"team_id": "{team_id}", "reason": "a friend"}),
    Row("POST", "/judge/{slug}/projects/conflicts/withdraw", NOT_A_TRACK_JUDGE,
        form={"team_id": "{team_id}"}),
]
# fmt: on
