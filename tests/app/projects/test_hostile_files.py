"""Hostile files: refused by their content, or kept only in a form that cannot run.

Each file is sent the way a browser sends it, with a name and a type that lie when the
attack needs them to; what decides is the bytes.
"""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from app.projects.files import pdf_active_names, sniff
from app.projects.models import ProjectVersion
from tests.app.projects.project_helpers import (
    CLEAN_PDF,
    ESCAPED_PDF,
    GALLERY,
    HTML_PAGE,
    LAUNCH_PDF,
    PAYLOAD,
    SCRIPT_PDF,
    STREAM_PDF,
    SVG,
    World,
    build,
    jpeg,
    png,
    project_id,
    save,
    zip_bomb,
    zipped,
)
from tests.app.web.web_helpers import engine_of


def _versions(client: TestClient) -> list[ProjectVersion]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(ProjectVersion)))


def _file(client: TestClient, world: World, index: int = 0) -> tuple[str, dict[str, object]]:
    version = _versions(client)[-1]
    item = version.files[index]
    url = f"{GALLERY}/{project_id(client, world.delfini)}/files/{item['sha256']}"
    return url, item


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (SCRIPT_PDF, "/JavaScript"),
        (ESCAPED_PDF, "/JavaScript"),
        (STREAM_PDF, "/JavaScript"),
        (LAUNCH_PDF, "/Launch"),
    ],
)
def test_a_pdf_with_script_or_launch_is_refused(
    client: TestClient, content: bytes, code: str
) -> None:
    world = build(client)
    refused = save(world.ada, [("slides.pdf", content, "application/pdf")])
    assert refused.status_code == 422
    assert code in refused.text and "slides.pdf" in refused.text
    assert _versions(client) == []


def test_an_svg_is_refused_whatever_it_is_called(client: TestClient) -> None:
    world = build(client)
    for name, kind in (("logo.svg", "image/svg+xml"), ("logo.png", "image/png")):
        refused = save(world.ada, [(name, SVG, kind)])
        assert refused.status_code == 422 and "SVG" in refused.text
    assert _versions(client) == []


def test_an_html_page_named_pdf_is_refused(client: TestClient) -> None:
    world = build(client)
    refused = save(world.ada, [("report.pdf", HTML_PAGE, "application/pdf")])
    assert refused.status_code == 422 and "report.pdf" in refused.text
    assert _versions(client) == []


def test_a_polyglot_png_is_kept_without_its_payload_and_shown_as_an_image(
    client: TestClient,
) -> None:
    world = build(client)
    polyglot = png((16, 9)) + PAYLOAD
    assert save(world.ada, [("map.png", polyglot, "text/html")]).status_code == 303
    url, item = _file(client, world)
    assert item["type"] == "png" and item["size"] != len(polyglot)
    served = world.ada.client.get(url)
    assert served.status_code == 200
    assert b"<script" not in served.content and b"<html" not in served.content
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"].startswith("sandbox")
    assert served.headers["content-disposition"].startswith("inline")
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG" and image.size == (16, 9)


def test_a_jpeg_with_a_payload_is_re_encoded_too(client: TestClient) -> None:
    world = build(client)
    assert save(world.ada, [("photo.jpg", jpeg() + PAYLOAD, "image/jpeg")]).status_code == 303
    url, _item = _file(client, world)
    served = world.ada.client.get(url)
    assert b"<script" not in served.content and served.headers["content-type"] == "image/jpeg"


def test_a_zip_bomb_is_refused(client: TestClient) -> None:
    world = build(client)
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024  # small enough for the 1 MB file cap
    refused = save(world.ada, [("code.zip", bomb, "application/zip")])
    assert refused.status_code == 422 and "expands to more than" in refused.text
    assert _versions(client) == []


@pytest.mark.parametrize("name", ["../outside.py", "/etc/cron.d/job", "src/../../up.py"])
def test_a_zip_with_paths_outside_itself_is_refused(client: TestClient, name: str) -> None:
    world = build(client)
    refused = save(world.ada, [("code.zip", zipped({name: b"x"}), "application/zip")])
    assert refused.status_code == 422 and "outside the archive" in refused.text


def test_allowed_files_are_served_as_inert_attachments(client: TestClient) -> None:
    world = build(client)
    sent = [
        ("report.html", CLEAN_PDF, "text/html"),
        ("code.zip", zipped({"src/main.py": b"print(1)\n"}), "application/zip"),
    ]
    assert save(world.ada, sent).status_code == 303
    url, item = _file(client, world)
    assert item["name"] == "report.html.pdf"  # named as what it proved to be
    served = world.ada.client.get(url)
    assert served.content == CLEAN_PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["content-security-policy"].startswith("sandbox")
    assert served.headers["x-content-type-options"] == "nosniff"
    zip_url, _zip = _file(client, world, 1)
    assert world.ada.client.get(zip_url).headers["content-disposition"].startswith("attachment")
    # outside the team and before the gallery is public: no file either
    assert client.get(url).status_code == 404
    assert world.eve.client.get(url).status_code == 404
    assert world.jude.client.get(url).status_code == 200


def test_a_file_over_the_cap_is_refused(client: TestClient) -> None:
    world = build(client)
    big = CLEAN_PDF + b"%" + b"0" * (1024 * 1024)
    refused = save(world.ada, [("big.pdf", big, "application/pdf")])
    assert refused.status_code == 413 and "big.pdf" in refused.text


def test_types_the_bundle_does_not_list_are_refused(client: TestClient) -> None:
    world = build(client, files={"max_files": 2, "max_mb": 1, "types": ["pdf"]})
    refused = save(world.ada, [("map.png", png(), "image/png")])
    assert refused.status_code == 422 and "PNG" in refused.text


def test_sniffing_and_pdf_names_without_a_site() -> None:
    assert sniff(CLEAN_PDF) == "pdf" and sniff(png()) == "png" and sniff(jpeg()) == "jpeg"
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"
    assert sniff(SVG) is None and sniff(HTML_PAGE) is None
    assert pdf_active_names(SCRIPT_PDF) == {"javascript", "js"}
    assert pdf_active_names(ESCAPED_PDF) == {"javascript", "js"}
    assert pdf_active_names(CLEAN_PDF) == set()
    assert pdf_active_names(STREAM_PDF) == set()  # in the clear: nothing; inflated: refused
