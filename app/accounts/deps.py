"""Typed dependencies that say who may call a route, and with which credential.

    def page(user: CurrentUser): ...            # signed in (browser) or Bearer token (API)
    def page(user: OptionalUser): ...           # anyone; user is None when anonymous
    def page(user: OrganiserUser): ...          # runs some event or challenge (or admin)
    def page(user: JudgeUser): ...              # judges something (or organises)
    APIRouter(dependencies=[Depends(require_organiser)])  # every route of a staff router
    def api(user: SubmitUser): ...              # a write: a browser or a `submit` token
    def page(user: BrowserUser): ...            # a browser session only (account management)

An `Authorization: Bearer` header, when present, is the only credential looked
at: a wrong token is a 401 even if a session cookie is also sent, so API calls
never ride on a browser session (and CSRF checks can skip them safely).

API tokens are for the API: under any path outside /api/ a token is refused (403),
so the pages (the account page where tokens and sessions are managed, the
organisers' pages) are reached only by a browser session, with its CSRF token.
Under /api/ a token's scope bounds what it does: a request that changes state
(any method but GET, HEAD, OPTIONS) needs a `submit` token, whatever the route
declares, so a write route added tomorrow with plain CurrentUser is still closed
to `read` tokens; SubmitUser says the same in the route's signature.

Anonymous callers get a 401 JSON error under /api/ and a redirect to the login
page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request

from app.accounts.devices import KnownDevices
from app.accounts.models import Role, TokenScope, User
from app.accounts.oidc import OidcProviders
from app.accounts.ratelimit import LoginLimiter, MailRequestLimiter, SignupLimiter
from app.accounts.sessions import session_user
from app.accounts.tokens import user_for_token
from app.i18n.speech import gettext as _
from app.roles.service import Scope, scope_of
from app.web.deps import SessionDep
from app.web.security import SAFE_METHODS

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="marea"'}
SCOPE_ORDER: tuple[TokenScope, ...] = (TokenScope.read, TokenScope.submit)


@dataclass(frozen=True)
class SessionCredential:
    """Signed in with a browser session (CSRF-checked): everything the user may do."""

    session_id: int


@dataclass(frozen=True)
class TokenCredential:
    """Authenticated by an API token: what the user may do, within the token's scope."""

    token_id: int
    name: str
    scope: TokenScope


Credential = SessionCredential | TokenCredential


class LoginRequired(Exception):
    """Raised for an anonymous visitor on a page; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    def login_url(self) -> str:
        return "/login?" + urlencode({"next": self.next_path})


def scope_includes(have: TokenScope | str, need: TokenScope) -> bool:
    return SCOPE_ORDER.index(TokenScope(have)) >= SCOPE_ORDER.index(need)


def credential_of(request: Request) -> Credential | None:
    """How the request's user was authenticated (after get_optional_user ran)."""
    found = getattr(request.state, "credential", None)
    return found if isinstance(found, SessionCredential | TokenCredential) else None


def _refuse_scope(credential: TokenCredential, need: TokenScope) -> None:
    if not scope_includes(credential.scope, need):
        raise HTTPException(
            403,
            f"The API token “{credential.name}” has the `{credential.scope.value}` scope; "
            f"this request needs the `{need.value}` scope. Make a token with the "
            f"`{need.value}` scope on your account page (/account) and use that one.",
        )


def get_optional_user(request: Request, db: SessionDep) -> User | None:
    cached = getattr(request.state, "user", None)
    if isinstance(cached, User):
        return cached
    header = request.headers.get("authorization")
    credential: Credential | None = None
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise HTTPException(
                401, "Send your API token as `Authorization: Bearer <token>`.", BEARER_CHALLENGE
            )
        if not request.url.path.startswith("/api/"):
            raise HTTPException(
                403,
                "API tokens work only for the API (paths under /api/). Pages, including your "
                "account page where tokens and sessions are managed, need you to log in with "
                "a browser.",
            )
        found = user_for_token(db, secret.strip())
        if found is None:
            raise HTTPException(
                401,
                "This API token is not valid (revoked, mistyped or its account is disabled); "
                "make a new one on your account page.",
                BEARER_CHALLENGE,
            )
        user: User | None = found[0]
        token = found[1]
        assert token.id is not None
        token_credential = TokenCredential(token.id, token.name, TokenScope(token.scope))
        if request.method not in SAFE_METHODS:
            _refuse_scope(token_credential, TokenScope.submit)
        credential = token_credential
    else:
        signed_in = session_user(request, db)
        user = signed_in.user if signed_in else None
        if signed_in is not None:
            assert signed_in.session.id is not None
            credential = SessionCredential(signed_in.session.id)
    request.state.user = user
    request.state.credential = credential
    # Finding the user only read (or noted a token's or session's use): end that transaction
    # now, so the request holds no pooled connection while its route opens sessions of its
    # own. Holding it made a burst of uploads wait on each other for the pool and fail with
    # 500s. Without a credential nothing was queried, so this costs nothing either.
    db.commit()
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(request: Request, user: OptionalUser) -> User:
    if user is not None:
        return user
    if request.url.path.startswith("/api/"):
        raise HTTPException(
            401, "Log in first: send `Authorization: Bearer <token>`.", BEARER_CHALLENGE
        )
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(path)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_scope(need: TokenScope) -> Callable[[Request, User], User]:
    """A dependency admitting browser sessions and tokens whose scope includes `need`."""

    def check(request: Request, user: CurrentUser) -> User:
        credential = credential_of(request)
        if isinstance(credential, TokenCredential):
            _refuse_scope(credential, need)
        return user

    return check


SubmitUser = Annotated[User, Depends(require_scope(TokenScope.submit))]


def get_browser_user(request: Request, user: CurrentUser) -> User:
    """The user of a browser session; API tokens are refused (they never manage accounts)."""
    if isinstance(credential_of(request), TokenCredential):
        raise HTTPException(
            403,
            "API tokens cannot manage tokens or sessions: do it on your account page (/account), "
            "logged in with a browser.",
        )
    return user


BrowserUser = Annotated[User, Depends(get_browser_user)]


def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise HTTPException(403, _("Only a site administrator may do this."))
    return user


def get_scope(request: Request, db: SessionDep, user: OptionalUser) -> Scope:
    """What the caller runs (events, challenges, judging), read once per request."""
    cached = getattr(request.state, "scope", None)
    if isinstance(cached, Scope):
        return cached
    scope = scope_of(db, user)
    request.state.scope = scope
    return scope


ScopeDep = Annotated[Scope, Depends(get_scope)]


# One callable per role, defined once: FastAPI caches a dependency per request by its callable,
# so a router's `dependencies=[Depends(require_organiser)]` and a handler's `OrganiserUser`
# are checked once, not twice. Each admits whoever runs something of that kind: the page
# itself then checks the event or challenge it names (`app.roles.service`).
def require_organiser(user: CurrentUser, scope: ScopeDep) -> User:
    if not scope.organises_something:
        raise HTTPException(
            403, _("Only the organisers of an event or the owners of a challenge may do this.")
        )
    return user


def require_judge(user: CurrentUser, scope: ScopeDep) -> User:
    if not (scope.judges_something or scope.organises_something):
        raise HTTPException(403, _("Only a judge (or an organiser) may do this."))
    return user


JudgeUser = Annotated[User, Depends(require_judge)]
OrganiserUser = Annotated[User, Depends(require_organiser)]
AdminUser = Annotated[User, Depends(require_admin)]


def get_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


def get_signup_limiter(request: Request) -> SignupLimiter:
    limiter: SignupLimiter = request.app.state.signup_limiter
    return limiter


def get_mail_limiter(request: Request) -> MailRequestLimiter:
    limiter: MailRequestLimiter = request.app.state.mail_limiter
    return limiter


def get_devices(request: Request) -> KnownDevices:
    devices: KnownDevices = request.app.state.known_devices
    return devices


def get_providers(request: Request) -> OidcProviders:
    providers: OidcProviders = request.app.state.oidc_providers
    return providers


LimiterDep = Annotated[LoginLimiter, Depends(get_limiter)]
SignupLimiterDep = Annotated[SignupLimiter, Depends(get_signup_limiter)]
MailLimiterDep = Annotated[MailRequestLimiter, Depends(get_mail_limiter)]
DevicesDep = Annotated[KnownDevices, Depends(get_devices)]
ProvidersDep = Annotated[OidcProviders, Depends(get_providers)]
