"""A mail's subject, plain text and HTML, in the recipient's language, from jinja templates.

Each kind has `<kind>.txt` (which also sets `subject`) and `<kind>.html` in
app/mail/templates/. The HTML is autoescaped like the pages, so a name someone typed
cannot become markup in someone's mailbox; the plain text is not (it is not HTML).
The words come from the site's catalogs (`{% trans %}`/`_()`), so a mail speaks Italian
or English as the pages do; the recipient's language is chosen by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.i18n import Catalogs, install_gettext
from app.i18n.choice import LANGUAGES, localise
from app.text.timefmt import format_local

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    install_gettext(env, Catalogs(), "it")
    # A bundle's {it, en} titles and a moment in a time zone, in the mail's language.
    env.globals["localise"] = localise
    env.globals["local_time"] = format_local
    return env


def mail_language(asked: str | None, default: str) -> str:
    """The recipient's language when it is one the site speaks, else the site's own."""
    return asked if asked in LANGUAGES else default


def render_mail(kind: str, lang: str, context: dict[str, Any]) -> Rendered:
    env = _environment()
    values = {"lang": lang, **context}
    text_module = env.get_template(f"{kind}.txt").make_module(values)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    html = env.get_template(f"{kind}.html").render(values)
    return Rendered(subject=subject, text=str(text_module).strip() + "\n", html=html)
