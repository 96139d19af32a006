"""The API's documentation page (/api/docs) with Swagger UI served by the site itself.

FastAPI's own page loads Swagger UI's script, stylesheet and icon from a CDN: a third-party
request on every visit, and a page that is blank without internet access (a city hackathon's
network is often closed). The same files ship in the `fastapi-offline` package; they are
mounted here and the page points at them, so the site's origin is the only host it asks.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """The page, its OAuth2 redirect (as FastAPI makes them), and the mounted Swagger UI files."""
    app.mount(
        ASSETS_URL, StaticFiles(packages=[("fastapi_offline", "static")]), name="api_docs_assets"
    )

    async def swagger_ui(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    async def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
