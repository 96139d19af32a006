"""The application factory: one FastAPI app built from one Settings object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from app import __version__
from app.accounts.admin_pages import router as admin_router
from app.accounts.setup import SESSION_COOKIE, install_accounts
from app.announcements.pages import install as install_announcements
from app.announcements.pages import router as announcements_router
from app.announcements.pages import staff_router as announcements_staff_router
from app.api.accounts import router as api_accounts_router
from app.api.announcements import router as api_announcements_router
from app.api.board_path import BoardPathMiddleware
from app.api.challenges import router as api_challenges_router
from app.api.health import router as health_router
from app.api.questions import router as api_questions_router
from app.api.schemas import COMMON_RESPONSES
from app.api.submissions import router as api_submissions_router
from app.api.teams import router as api_teams_router
from app.challenges.downloads import router as downloads_router
from app.challenges.identity import router as identity_router
from app.challenges.pages import router as challenge_router
from app.core.db import make_engine, migrate
from app.core.redis import redis_client
from app.core.settings import Settings, get_settings
from app.core.store import open_store
from app.events.pages import router as events_router
from app.events.registration_pages import router as registration_router
from app.events.upload_pages import router as event_upload_router
from app.i18n import Catalogs, LanguageMiddleware, install_gettext, localise, pick_language
from app.jury.pages import router as judges_router
from app.leaderboard.cache import BoardCache
from app.leaderboard.pages import router as leaderboard_router
from app.live import announce
from app.live.hub import EventHub
from app.live.states import ChallengeStates
from app.mail.pages import router as outbox_router
from app.notifications.pages import router as notifications_router
from app.organisers.conflicts import refuse_competitors
from app.organisers.excerpt_pages import router as excerpt_router
from app.organisers.ops_pages import router as ops_router
from app.organisers.pages import router as organisers_router
from app.projects.pages import organise_router as organise_projects_router
from app.projects.pages import router as projects_router
from app.projects.review_pages import router as project_reviews_router
from app.projects.vote_pages import organise_router as organise_votes_router
from app.projects.vote_pages import router as votes_router
from app.questions.pages import organise_router as organise_questions_router
from app.questions.pages import router as questions_router
from app.questions.pages import stream_router as question_stream_router
from app.rescoring.pages import router as rescore_router
from app.roles.pages import router as roles_router
from app.submissions.pages import router as submissions_router
from app.teams.pages import router as teams_router
from app.web.api_docs import DOCS_URL, OAUTH2_REDIRECT_URL, install_api_docs
from app.web.body_limit import BodyLimitMiddleware
from app.web.errors import Refused, refusal_fields
from app.web.page import Page
from app.web.security import MAX_FORM_BYTES, CsrfMiddleware, SecurityHeadersMiddleware
from app.web.stream_limit import StreamLimitMiddleware


def build_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(settings.templates_dir))
    env = templates.env
    install_gettext(env, Catalogs(), settings.default_language)
    env.globals["localise"] = localise
    env.globals["version"] = __version__
    env.filters["filesize"] = _filesize
    return templates


def _filesize(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Every middleware of the site, in one place; listed here from the outermost in.

    1. security headers: every answer, errors and refusals of the layers below included;
    2. the session cookie, decoded (who is signed in);
    3. the board's GET, answered here (app/api/board_path.py): the hottest route of a contest
       skips the layers below and the router, which it does not need (a GET it answers
       reads no body, needs no CSRF check, no language, no stream count);
    4. the language of the request (every page and error below renders in it);
    5. the cap on request bodies, before any route reads one (its 413 has the language);
    6. CSRF on state-changing requests (reads the session's token and the form);
    7. the cap on live streams per client.
    """
    https = settings.base_url.startswith("https://")
    exempt = frozenset({DOCS_URL, OAUTH2_REDIRECT_URL})  # Swagger UI's page has inline script
    # Starlette runs the middleware added last first, so they are added from the inside out.
    app.add_middleware(StreamLimitMiddleware, settings=settings)
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(BodyLimitMiddleware, form_max_bytes=MAX_FORM_BYTES, settings=settings)
    app.add_middleware(LanguageMiddleware, default_language=settings.default_language, secure=https)
    app.add_middleware(BoardPathMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        # The server-side session decides how long a login lasts; the cookie just lives as long.
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=https,
    )
    app.add_middleware(SecurityHeadersMiddleware, https=https, csp_exempt=exempt)


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    settings = settings or get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)

    announce.install(engine, redis_client(settings))
    hub = EventHub(settings.redis_url)
    states = ChallengeStates(engine)
    board_cache = BoardCache(ttl_s=settings.board_cache_ttl_s)
    states.on_change(board_cache.challenge_changed)
    hub.on_event(states.on_event)  # first: a changed challenge drops its boards before any read
    hub.on_event(board_cache.on_event)
    hub.on_reset(states.clear)
    hub.on_reset(board_cache.clear)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.start()
        yield
        await hub.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Marea",
        version=__version__,
        description="Challenges, sandboxed scoring and live leaderboards for city hackathons.",
        docs_url=None,  # app/web/api_docs.py: the same page, without a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = open_store(settings)
    templates = build_templates(settings)
    app.state.templates = templates
    install_announcements(templates.env)
    app.state.started_at = datetime.now()
    app.state.hub = hub
    app.state.board_cache = board_cache
    app.state.challenge_states = states

    app.mount("/static", StaticFiles(packages=[("app.web", "static")]), name="static")
    install_api_docs(app, "/api/openapi.json")
    install_middleware(app, settings)
    install_accounts(app, settings)
    app.include_router(events_router)
    app.include_router(registration_router)
    app.include_router(challenge_router)
    app.include_router(downloads_router)
    app.include_router(identity_router)
    app.include_router(health_router)
    app.include_router(api_accounts_router)
    app.include_router(api_challenges_router, responses=COMMON_RESPONSES)
    app.include_router(api_teams_router, responses=COMMON_RESPONSES)
    app.include_router(api_announcements_router, responses=COMMON_RESPONSES)
    app.include_router(api_submissions_router, responses=COMMON_RESPONSES)
    app.include_router(api_questions_router, responses=COMMON_RESPONSES)
    app.include_router(teams_router)
    app.include_router(submissions_router)
    app.include_router(leaderboard_router)
    app.include_router(questions_router)
    app.include_router(projects_router)
    app.include_router(votes_router)
    # Staff pages of a challenge are closed to anyone in one of its teams, whatever their role.
    staff_only = [Depends(refuse_competitors)]
    # ops first: /organise/{slug} would catch /organise/dashboard
    app.include_router(ops_router, dependencies=staff_only)
    # Its own checks, in a session of its own: a stream must not hold the request's session.
    app.include_router(question_stream_router)
    app.include_router(organise_questions_router, dependencies=staff_only)
    app.include_router(organise_projects_router, dependencies=staff_only)
    app.include_router(organise_votes_router, dependencies=staff_only)
    app.include_router(roles_router)
    app.include_router(announcements_router)
    app.include_router(announcements_staff_router, dependencies=staff_only)
    app.include_router(event_upload_router)
    app.include_router(organisers_router, dependencies=staff_only)
    app.include_router(rescore_router, dependencies=staff_only)
    app.include_router(excerpt_router, dependencies=staff_only)
    app.include_router(judges_router, dependencies=staff_only)
    app.include_router(project_reviews_router, dependencies=staff_only)
    app.include_router(admin_router)
    app.include_router(outbox_router)
    app.include_router(notifications_router)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
            for err in exc.errors()
        )
        message = f"The request is not valid: {problems}"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": {"status": 422, "message": message}}, status_code=422)
        return JSONResponse({"detail": message}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if request.url.path.startswith("/api/"):
            error: dict[str, object] = {"status": exc.status_code, "message": message}
            if isinstance(exc, Refused):
                error.update(refusal_fields(exc.refusal))
            return JSONResponse(
                {"error": error},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        # Not PageDep: the handler runs outside dependency solving, so the page is built here.
        page = Page(request, pick_language(request, settings.default_language), templates)
        return page.render(
            "error.html", {"status": exc.status_code, "message": message}, status=exc.status_code
        )

    return app
