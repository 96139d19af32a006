"""The board's GET, answered before FastAPI's router.

In the last minutes of a contest everyone reloads the board, and with the
board itself cached, most of a request's time went to finding the route among
a hundred and solving its dependencies (about 60 % of it in a profile). This
middleware sits innermost, inside the session, CSRF and security-header
middleware (so a signed-in reader is known and every answer carries the same
headers), and answers `GET /api/v1/challenges/{slug}/leaderboard` itself: it
reads the same query parameters with the same bounds as the documented route
(`app.api.challenges.get_leaderboard`) and calls the same `serve_board`.
Refusals have the API's one error body. Anything else goes on to the router.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import HTTPException
from fastapi.responses import JSONResponse, Response
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.challenges import serve_board
from app.core.db import MAX_ROW_ID

BOARD_PATH = re.compile(r"/api/v1/challenges/([^/]+)/leaderboard")
SPLITS = ("public", "private")


class BadQuery(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _integer(query: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise BadQuery(
            f"query.{name}: Input should be a valid integer, unable to parse string as an integer"
        ) from None
    if value < low:
        raise BadQuery(f"query.{name}: Input should be greater than or equal to {low}")
    if value > high:
        raise BadQuery(f"query.{name}: Input should be less than or equal to {high}")
    return value


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The API's one error body (the same as the app's exception handlers write)."""
    return JSONResponse(
        {"error": {"status": status, "message": message}}, status_code=status, headers=headers
    )


class BoardPathMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = BOARD_PATH.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await _answer(request, match.group(1))
        except HTTPException as exc:
            detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
            response = error_response(exc.status_code, detail, exc.headers)
        await response(scope, receive, send)


async def _answer(request: Request, slug: str) -> Response:
    query = request.query_params
    try:
        split = query.get("split", "public")
        if split not in SPLITS:
            raise BadQuery("query.split: String should match pattern '^(public|private)$'")
        limit = _integer(query, "limit", 1, 10_000)
        offset = _integer(query, "offset", 0, 1_000_000) or 0
        around = _integer(query, "around", 1, MAX_ROW_ID)
    except BadQuery as exc:
        return error_response(422, f"The request is not valid: {exc.problem}")
    return await serve_board(request, slug, query.get("phase"), split, limit, offset, around)
