"""Site languages: which one a request gets, that it sticks, and that the catalogs are complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from jinja2 import Environment

from app.core.settings import Settings
from app.i18n import Catalogs, install_gettext, use_language
from app.main import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT_ROOT / "app" / "web" / "templates"
LOCALE = PROJECT_ROOT / "app" / "locale"
# Folders whose strings are still being written; the lead adds them to the catalogs and
# then empties this tuple so they are checked like the rest.
PENDING_FOLDERS: tuple[str, ...] = ()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def italian(message: str) -> str:
    translated = Catalogs().translations("it").gettext(message)
    assert translated != message, f"{message!r} should have an Italian translation"
    return translated


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    forms = [string] if isinstance(string, str) else list(string or [])
    return bool(forms) and all(forms)


def template_messages() -> dict[str, str]:
    """Every msgid used by a template (the first form of a plural), with where it is used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(TEMPLATES),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        if Path(filename).parts[0] in PENDING_FOLDERS:
            continue
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"app/web/templates/{filename}:{lineno}")
    return found


def test_accept_language_picks_the_page_language(client: TestClient) -> None:
    it_page = client.get("/", headers={"accept-language": "it-IT,it;q=0.9,en;q=0.5"})
    assert '<html lang="it">' in it_page.text
    assert f"<h1>{italian('Challenges')}</h1>" in it_page.text

    en_page = client.get("/", headers={"accept-language": "en-GB,en;q=0.9,it;q=0.1"})
    assert '<html lang="en">' in en_page.text
    assert "<h1>Challenges</h1>" in en_page.text
    assert "set-cookie" not in en_page.headers  # only an explicit choice is remembered


def test_lang_parameter_overrides_and_sticks_through_the_cookie(client: TestClient) -> None:
    chosen = client.get("/login?lang=en", headers={"accept-language": "it"})
    assert '<html lang="en">' in chosen.text
    assert "lang=en" in chosen.headers["set-cookie"]

    later = client.get("/signup", headers={"accept-language": "it"})
    assert '<html lang="en">' in later.text
    assert "<h1>Create an account</h1>" in later.text

    back = client.get("/signup?lang=it", headers={"accept-language": "en"})
    assert f"<h1>{italian('Create an account')}</h1>" in back.text
    assert '<html lang="it">' in client.get("/", headers={"accept-language": "en"}).text


def test_unknown_language_is_ignored(client: TestClient) -> None:
    page = client.get("/?lang=xx", headers={"accept-language": "en"})
    assert '<html lang="en">' in page.text
    assert "set-cookie" not in page.headers


def test_switch_marks_the_current_language_and_keeps_the_address(client: TestClient) -> None:
    page = client.get("/nowhere?page=2&lang=it").text
    switch = page.split(f'<nav class="lang-switch" aria-label="{italian("Language")}">')[1]
    switch = switch.split("</nav>")[0]
    assert (
        '<a href="/nowhere?page=2&amp;lang=it" hreflang="it" lang="it" aria-current="true">'
        in switch
    )
    assert '<a href="/nowhere?page=2&amp;lang=en" hreflang="en" lang="en">' in switch


def test_error_pages_from_async_handlers_are_translated(client: TestClient) -> None:
    missing = client.get("/challenges/nope", headers={"accept-language": "it"})
    assert missing.status_code == 404
    assert italian("Back to the challenges") in missing.text


def test_gettext_formats_escapes_and_falls_back_to_english() -> None:
    env = Environment(autoescape=True)
    install_gettext(env, Catalogs(), default_language="en")
    known = env.from_string('{{ _("Revoke token %(name)s", name=who) }}')
    assert known.render(lang="it", who="<b>") == italian("Revoke token %(name)s") % {
        "name": "&lt;b&gt;"
    }
    unknown = env.from_string('{{ _("A sentence nobody translated, %(n)d", n=3) }}')
    assert unknown.render(lang="it") == "A sentence nobody translated, 3"
    plural = env.from_string(
        '{{ ngettext("At least %(num)d character.", "At least %(num)d characters.", n) }}'
    )
    assert plural.render(lang="en", n=1) == "At least 1 character."
    assert plural.render(lang="en", n=8) == "At least 8 characters."


def test_templates_without_lang_use_the_request_language() -> None:
    """Imported macros and other engineers' pages may not pass `lang`: the request decides."""
    env = Environment(autoescape=True)
    install_gettext(env, Catalogs(), default_language="en")
    template = env.from_string('{{ _("Log in") }}')
    assert template.render() == "Log in"
    with use_language("it"):
        assert template.render() == italian("Log in")


def test_every_template_message_is_translated_into_italian() -> None:
    used = template_messages()
    assert len(used) > 50, "the extractor found too few messages: is jinja2.ext.i18n in use?"
    catalog = read_catalog(LOCALE / "it" / "LC_MESSAGES" / "messages.po")
    missing = []
    for msgid, where in sorted(used.items()):
        entry = catalog.get(msgid)
        if entry is None or entry.fuzzy or not translated(entry.string):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, (
        "Messages without an Italian translation (run `make i18n`, then translate them in "
        "app/locale/it/LC_MESSAGES/messages.po):\n" + "\n".join(missing)
    )


def test_catalogs_are_well_formed() -> None:
    """Placeholders must match between msgid and msgstr, or a page would crash at render time."""
    template = read_catalog(LOCALE / "messages.pot")
    used = template_messages()
    assert not sorted(set(used) - {m.id if isinstance(m.id, str) else m.id[0] for m in template}), (
        "app/locale/messages.pot is out of date: run `make i18n`"
    )
    for lang in ("it", "en"):
        catalog = read_catalog(LOCALE / lang / "LC_MESSAGES" / "messages.po")
        problems = [f"{m.id!r}: {errors}" for m, errors in catalog.check()]
        assert not problems, f"{lang} catalog:\n" + "\n".join(problems)
