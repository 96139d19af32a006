"""Languages of the site: which one a request wants, and the gettext catalogs that speak it.

Bundle texts ({it, en} dicts written by organisers) go through `localise`; the site's own
words go through the gettext catalogs in app/locale, installed into Jinja as `_()`.
"""

from app.i18n.catalogs import Catalogs
from app.i18n.choice import LANGUAGES, localise, pick_language
from app.i18n.context import current_language, use_language
from app.i18n.jinja import install_gettext
from app.i18n.middleware import LanguageMiddleware

__all__ = [
    "LANGUAGES",
    "Catalogs",
    "LanguageMiddleware",
    "current_language",
    "install_gettext",
    "localise",
    "pick_language",
    "use_language",
]
