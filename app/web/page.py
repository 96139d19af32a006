"""The page a request is answered with: its language and the site's templates in one object.

Every HTML page renders with the request, the reader's language and the one template set;
taking them as a single `PageDep` keeps handlers and their helpers from threading three
arguments by hand, and makes `lang` in the context something no page can forget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.web.deps import LangDep, TemplatesDep


@dataclass(frozen=True)
class Page:
    """Renders templates for one request, in the language picked for it."""

    request: Request
    lang: str
    templates: Jinja2Templates

    def render(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """The template filled with `context` and the page's `lang` (a context's own wins)."""
        response: HTMLResponse = self.templates.TemplateResponse(
            self.request,
            template,
            {"lang": self.lang, **(context or {})},
            status_code=status,
            headers=headers,
        )
        return response


def get_page(request: Request, templates: TemplatesDep, lang: LangDep) -> Page:
    return Page(request, lang, templates)


PageDep = Annotated[Page, Depends(get_page)]
