"""A challenge's identity on its pages: the hero and logo the catalog bundle names, its colours
as a style sheet of the site, and the routes that serve them (type proved by content, cached)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.challenges.service import challenge_by_slug
from tests.app.web.test_challenge_pages import SEA, SLUG, load_sea
from tests.app.web.web_helpers import engine_of

NO_STORE = "private, no-store"  # as every answer (tests/authz/test_cache_headers.py)


def addresses(html: str) -> dict[str, str]:
    found = {
        "hero": re.search(r'<img class="identity-hero" src="([^"]+)"', html),
        "logo": re.search(r'<img class="identity-logo" src="([^"]+)" alt="([^"]+)"', html),
        "css": re.search(r'<link rel="stylesheet" href="(/challenges/[^"]+\.css)"', html),
    }
    assert all(found.values()), {k: bool(v) for k, v in found.items()}
    return {key: match.group(1) for key, match in found.items() if match is not None}


def test_the_challenge_page_shows_the_hero_logo_and_colours(client: TestClient) -> None:
    load_sea(client)
    for lang, alt in (("it", "Logo di Temperatura superficiale del mare"),
                      ("en", "Logo of Sea surface temperature")):  # fmt: skip
        html = client.get(f"/challenges/{SLUG}?lang={lang}").text
        assert f'alt="{alt}"' in html
        urls = addresses(html)
    assert html.index("identity-hero") < html.index("<h1>")  # the hero opens the page
    assert html.index("identity-logo") < html.index("<h1>")  # the logo sits in the header
    sheet = client.get(urls["css"])
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert sheet.headers["cache-control"] == NO_STORE
    assert "--identity-primary: #0e5a6b;" in sheet.text
    assert "--identity-accent: #f2c14e;" in sheet.text
    for key in ("hero", "logo"):
        image = client.get(urls[key])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert image.headers["cache-control"] == NO_STORE
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.content == (SEA / "identity" / f"{key}.png").read_bytes()


def test_an_address_that_names_other_bytes_is_a_404(client: TestClient) -> None:
    load_sea(client)
    urls = addresses(client.get(f"/challenges/{SLUG}").text)
    for url in (urls["logo"], urls["css"]):
        stale = re.sub(r"-[0-9a-f]{16}", "-0123456789abcdef", url)
        assert client.get(stale).status_code == 404
    # Only the identity's own images are served here: not a data file, nor an answer.
    assert client.get(f"/challenges/{SLUG}/identity/reference-0123456789abcdef").status_code == 404


def test_a_challenge_without_identity_shows_none_and_an_unpublished_one_serves_nothing(
    client: TestClient,
) -> None:
    load_sea(client)
    urls = addresses(client.get(f"/challenges/{SLUG}").text)
    with Session(engine_of(client)) as session:
        challenge = challenge_by_slug(session, SLUG)
        assert challenge is not None
        challenge.config = {k: v for k, v in challenge.config.items() if k != "identity"}
        session.add(challenge)
        session.commit()
    html = client.get(f"/challenges/{SLUG}").text
    assert "identity-hero" not in html and "identity-logo" not in html
    assert "/identity/colours-" not in html
    assert "<h1>" in html
    with Session(engine_of(client)) as session:
        challenge = challenge_by_slug(session, SLUG)
        assert challenge is not None
        challenge.published = False
        session.add(challenge)
        session.commit()
    assert all(client.get(url).status_code == 404 for url in urls.values())
