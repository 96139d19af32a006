"""An invalid bundle's errors on the upload page, in the organiser's language.

The page is Italian by default and English with ?lang=en; the errors and their fixes follow,
while the keys, paths and values the organiser wrote stay as written.
"""

from __future__ import annotations

import html
import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from app.accounts.models import Role
from tests.app.organisers.org_helpers import SEA, zip_folder
from tests.app.web.web_helpers import Person, person

ORIGINAL = (SEA / "challenge.yaml").read_text(encoding="utf-8")


def _edited(*changes: tuple[str, str]) -> str:
    text = ORIGINAL
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


# A missing key, an unknown key and a wrong type: schema errors, reported together.
SCHEMA = _edited(
    ('licence: "Public domain (NOAA, U.S. Government work)"\n', ""),
    ("demo: true", "dmeo: true"),
    ("precision: 4", "precision: four"),
)
# A rule that relates keys, and a file that is not there: reported together too.
RULE_AND_FILE = _edited(
    ("rank_by: rmse", "rank_by: score"),
    ("baseline: baseline/predictions.csv", "baseline: baseline/missing.csv"),
)


def _unsafe_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.txt", "outside")
    return buffer.getvalue()


def _upload(who: Person, content: bytes, lang: str) -> str:
    token = who.csrf("/organise")
    response = who.client.post(
        f"/organise/upload?lang={lang}",
        data={"csrf_token": token},
        files={"bundle": ("bundle.zip", content, "application/zip")},
        follow_redirects=False,
    )
    assert response.status_code == 422, response.text
    assert response.headers["cache-control"] == "private, no-store"
    return html.unescape(response.text)


# (the upload, what the page must say in Italian, the same in English)
CASES = [
    pytest.param(
        zip_folder(SEA, {"challenge.yaml": SCHEMA}),
        [
            "(livello principale): manca la chiave obbligatoria `licence`",
            "aggiungete `licence:` (la licenza dei dati, ad es. CC-BY-4.0)",
            "(livello principale): chiave sconosciuta `dmeo`",
            "intendevate `demo`? chiavi ammesse in (livello principale):",
            "leaderboard.columns[0].precision: 'four' — serve un numero intero",
            "scrivete un numero intero, senza virgolette",
        ],
        [
            "(top level): required key `licence` is missing",
            "add `licence:` (the licence of the data, e.g. CC-BY-4.0)",
            "(top level): unknown key `dmeo`",
            "did you mean `demo`? keys allowed in (top level):",
            "leaderboard.columns[0].precision: 'four' — input should be a valid integer",
            "write a whole number, without quotes",
        ],
        id="schema",
    ),
    pytest.param(
        zip_folder(SEA, {"challenge.yaml": RULE_AND_FILE}),
        [
            "rank_by 'score' non è una colonna della classifica",
            "usate una delle chiavi di colonna: rmse, mae",
            "il file della baseline 'baseline/missing.csv' non esiste nel pacchetto",
            "i percorsi sono relativi alla cartella che contiene challenge.yaml",
        ],
        [
            "rank_by 'score' is not a leaderboard column",
            "use one of the column keys: rmse, mae",
            "baseline file 'baseline/missing.csv' does not exist in the bundle",
            "paths are relative to the folder holding challenge.yaml",
        ],
        id="rule-and-file",
    ),
    pytest.param(
        _unsafe_zip(),
        [
            "la voce '../evil.txt' usa '..' e verrebbe scritta fuori dal pacchetto",
            "comprimete la cartella del pacchetto con percorsi relativi e soli file normali",
        ],
        [
            "member '../evil.txt' uses '..' and would be written outside the bundle",
            "zip the bundle folder with relative paths and regular files only",
        ],
        id="archive",
    ),
]


@pytest.mark.parametrize(("upload", "italian", "english"), CASES)
def test_bundle_errors_are_in_the_page_language(
    site: TestClient, upload: bytes, italian: list[str], english: list[str]
) -> None:
    org = person(site, "org@example.org", "Org", Role.organiser)
    page = _upload(org, upload, "it")
    assert "Il pacchetto non è valido" in page
    for words in italian:
        assert words in page, words
    for words in english:
        assert words not in page, words

    page = _upload(org, upload, "en")
    assert "The bundle is not valid" in page
    for words in english:
        assert words in page, words
    for words in italian:
        assert words not in page, words
