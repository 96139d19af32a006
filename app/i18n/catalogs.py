"""Gettext catalogs read straight from the .po files.

The .po files are the single source: they are compiled to .mo in memory on first use,
so there is no committed binary to forget to rebuild and nothing written next to an
installed (possibly read-only) package.
"""

from __future__ import annotations

import gettext
import threading
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


class Catalogs:
    """One compiled translation per language, loaded lazily and kept for the process."""

    def __init__(self, locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN) -> None:
        self._dir = locale_dir
        self._domain = domain
        self._loaded: dict[str, gettext.NullTranslations] = {}
        self._lock = threading.Lock()

    def po_path(self, lang: str) -> Path:
        return self._dir / lang / "LC_MESSAGES" / f"{self._domain}.po"

    def translations(self, lang: str) -> gettext.NullTranslations:
        """The catalog for `lang`; a language without one falls back to the English msgids."""
        found = self._loaded.get(lang)
        if found is not None:
            return found
        with self._lock:
            found = self._loaded.get(lang)
            if found is None:
                found = self._compile(lang)
                self._loaded[lang] = found
            return found

    def _compile(self, lang: str) -> gettext.NullTranslations:
        path = self.po_path(lang)
        if not path.is_file():
            return gettext.NullTranslations()
        with path.open("rb") as source:
            catalog = read_po(source, locale=lang, domain=self._domain)
        buffer = BytesIO()
        write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
