"""The site's words in Python code (refusals a service builds), in the request's language.

Services have no template at hand, so they read the language LanguageMiddleware chose for
the request in progress. Outside a request (the CLI, a worker) they speak English, and so
does the API unless the caller asks otherwise (see LanguageMiddleware).
"""

from __future__ import annotations

from gettext import NullTranslations

from babel.numbers import format_decimal

from app.i18n.catalogs import Catalogs
from app.i18n.context import current_language
from app.text.words import said

_CATALOGS = Catalogs()
FALLBACK = "en"


def speaking() -> str:
    return current_language() or FALLBACK


def translations() -> NullTranslations:
    """The catalog of the language being spoken, for helpers that take one (`status_label`)."""
    return _CATALOGS.translations(speaking())


def gettext(message: str) -> str:
    return _CATALOGS.translations(speaking()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _CATALOGS.translations(speaking()).ngettext(singular, plural, count)


def number(value: float) -> str:
    """A number as the reader writes it: a decimal comma in Italian."""
    return str(format_decimal(value, locale=speaking()))


def say(text: str) -> str:
    """Organisers' `Words` (a bundle's errors) in the language being spoken; other text as is."""
    lang = speaking()
    return said(
        text, _CATALOGS.translations(lang).gettext, lambda x: format_decimal(x, locale=lang)
    )
