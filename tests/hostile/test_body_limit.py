"""Every request body is capped before a route reads it; only upload routes accept files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.web.security import MAX_FORM_BYTES
from tests.hostile.hostile_world import SLUG, World, open_world

BIG = MAX_FORM_BYTES + 512 * 1024  # over the form cap, far under the upload cap


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("body-limit")) as world:
        yield world


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_large_multipart_body_to_a_form_route_is_refused_unread(
    site: World, system_tmp: Path, declared: bool
) -> None:
    boundary = "marea-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="junk"; filename="x.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\0" * BIG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    content = body if declared else _chunks(body)
    response = site.client.post("/login", content=content, headers=headers)
    assert response.status_code == 413, response.text[:500]
    assert "MiB this address accepts" in response.text
    assert response.headers["content-security-policy"]  # the refusal is a page like the others
    assert list(system_tmp.rglob("*")) == [], "the refused body was spooled to disk"


def test_the_api_says_it_in_its_error_shape(site: World) -> None:
    response = site.client.post(
        f"/api/v1/challenges/{SLUG}/teams",
        content=b"{" + b" " * BIG + b"}",
        headers={**site.participant.bearer(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "MiB this address accepts" in response.json()["error"]["message"]


def test_upload_routes_still_take_files_larger_than_a_form(site: World) -> None:
    rows = "id,wave_height\n" + "".join(f"{i},1.0\n" for i in range(400_000))
    assert len(rows) > BIG
    response = site.submit("predictions.csv", rows.encode())
    # Accepted for judging: the cap of upload routes is the upload limit, not the form's.
    assert response.status_code == 201, response.text[:500]
