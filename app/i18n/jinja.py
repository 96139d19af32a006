"""`_()`, `gettext` and `ngettext` in templates, in the language of the page being rendered.

Also judging's words: `said(row)` for a judged row's message, and the filters
`status_label` and `failure_label` for a submission's status and failure kind; `say` for
organisers' `Words` (a bundle's or an event's errors); and the
reader's notation: `when` (a `<time>` in the challenge's time zone), `time_left` and
`decimal` (scores with the language's decimal mark).

The callables are context-aware, so the language is read at render time: first the
template's own `lang` variable (what the route chose), then the request's language set by
LanguageMiddleware, then the request in the context, then the site default. That keeps
sync routes, async routes, error handlers and imported macros all speaking the same
language without the routes having to pass anything new.
"""

from __future__ import annotations

import json
from datetime import datetime

from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request

from app.i18n.catalogs import Catalogs
from app.i18n.choice import LANGUAGES, pick_language
from app.i18n.context import current_language
from app.i18n.judged import failure_label, judged_message, status_label
from app.text.timefmt import decimal, local_time, time_left
from app.text.words import said as said_words


def install_gettext(env: Environment, catalogs: Catalogs, default_language: str) -> None:
    """Add Jinja's i18n extension to `env` with newstyle gettext backed by `catalogs`."""

    def language_of(context: Context) -> str:
        asked = context.get("lang")
        if isinstance(asked, str) and asked in LANGUAGES:
            return asked
        current = current_language()
        if current is not None:
            return current
        request = context.get("request")
        if isinstance(request, Request):
            return pick_language(request, default_language)
        return default_language

    def zone_of(context: Context) -> str | None:
        """The page's `time_zone`, else its challenge's bundle key; None means the default."""
        asked = context.get("time_zone")
        if isinstance(asked, str):
            return asked
        challenge = context.get("challenge") or getattr(context.get("view"), "challenge", None)
        config = getattr(challenge, "config", None)
        named = config.get("time_zone") if isinstance(config, dict) else None
        return named if isinstance(named, str) else None

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return catalogs.translations(language_of(context)).gettext(message)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, count: int) -> str:
        return catalogs.translations(language_of(context)).ngettext(singular, plural, count)

    @pass_context
    def pgettext(context: Context, where: str, message: str) -> str:
        return catalogs.translations(language_of(context)).pgettext(where, message)

    @pass_context
    def npgettext(context: Context, where: str, singular: str, plural: str, count: int) -> str:
        translations = catalogs.translations(language_of(context))
        return translations.npgettext(where, singular, plural, count)

    @pass_context
    def said(context: Context, row: object) -> str:
        """A judged row's message (`message_i18n`, else the English `message`) in this language."""
        lang = language_of(context)
        english = str(getattr(row, "message", "") or "")
        stored = getattr(row, "message_i18n", None)
        return judged_message(stored, english, lang, catalogs.translations(lang))

    @pass_context
    def said_stored(context: Context, stored_json: object, english: str) -> str:
        """A message judging stored as JSON text (the organisers' `detail_message` in the logs),
        in this language; the English beside it when it cannot be read."""
        lang = language_of(context)
        try:
            stored = json.loads(str(stored_json))
        except ValueError:
            return english
        return judged_message(stored, english, lang, catalogs.translations(lang))

    @pass_context
    def status_filter(context: Context, status: object) -> str:
        return status_label(status, catalogs.translations(language_of(context)))

    @pass_context
    def failure_filter(context: Context, failure: object) -> str:
        return failure_label(failure, catalogs.translations(language_of(context)))

    @pass_context
    def when_filter(context: Context, value: datetime | None) -> Markup:
        return local_time(value, language_of(context), zone_of(context))

    @pass_context
    def time_left_filter(context: Context, end: datetime, now: datetime | None = None) -> str:
        return time_left(end, now, language_of(context))

    @pass_context
    def decimal_filter(context: Context, value: float | None, precision: int | None = 3) -> str:
        return decimal(value, precision, language_of(context))

    @pass_context
    def say_filter(context: Context, text: str) -> str:
        """Organisers' `Words` (a bundle's errors) in this language; other text as it is."""
        lang = language_of(context)
        translations = catalogs.translations(lang)
        return said_words(text, translations.gettext, lambda x: format_decimal(x, locale=lang))

    env.globals["said"] = said
    env.globals["said_stored"] = said_stored
    env.filters["say"] = say_filter
    env.filters["when"] = when_filter
    env.filters["time_left"] = time_left_filter
    env.filters["decimal"] = decimal_filter
    env.filters["status_label"] = status_filter
    env.filters["failure_label"] = failure_filter
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
