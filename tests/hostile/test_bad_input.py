"""Bad input through the site: every malformed predictions file, refused uploads, broken bundles.

Malformed predictions are uploaded over the API and judged for real (scoring container and
all); each must end `failed` with a category and a message that tells the team what to fix.
Uploads the site refuses (too large, empty, not multipart, a `javascript:` link) must leave
nothing behind: no object in the store, no temp file in the store, the data dir or /tmp.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.organisers.org_helpers import zip_folder
from tests.hostile.hostile_world import SLUG, World, every_route, fill, open_bundle, open_world

IDS = list(range(41, 61))


def csv_of(rows: list[str], header: str = "id,wave_height", newline: str = "\n") -> bytes:
    return newline.join([header, *rows, ""]).encode()


GOOD_ROWS = [f"{i},1.0" for i in IDS]
GOOD = csv_of(GOOD_ROWS)


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _png() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _exe() -> bytes:
    """The start of a Windows program: MZ header, DOS stub, PE signature."""
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    head = b"MZ" + b"\x90\x00" * 29 + struct.pack("<I", 0x80)
    return head.ljust(0x40, b"\x00") + stub.ljust(0x40, b"\x00") + b"PE\x00\x00" + bytes(200)


@dataclass(frozen=True)
class Bad:
    """A malformed predictions file and what the team must be told about it."""

    name: str
    filename: str
    data: bytes
    words: tuple[str, ...]  # all must appear in the message
    category: str = "invalid_output"


BAD = [
    Bad("wrong-header", "p.csv", csv_of(GOOD_ROWS, header="id,height"),
        ("line 1", "no column 'wave_height'", "found id, height")),
    Bad("header-only", "p.csv", csv_of([]), ("20 of the 20 test ids have no prediction",)),
    Bad("missing-id", "p.csv", csv_of([r for r in GOOD_ROWS if not r.startswith("43,")]),
        ("1 of the 20 test ids have no prediction", "'43'")),
    Bad("extra-id", "p.csv", csv_of([*GOOD_ROWS, "99,1.0"]),
        ("line 22", "the id '99' is not in the test set")),
    Bad("duplicate-id", "p.csv", csv_of([*GOOD_ROWS[:3], "41,2.0", *GOOD_ROWS[3:]]),
        ("line 5", "'41' appears again (first on line 2)")),
    Bad("wrong-type", "p.csv", csv_of(["41,high", *GOOD_ROWS[1:]]),
        ("line 2", "'high' is not a number")),
    Bad("nan", "p.csv", csv_of([*GOOD_ROWS[:2], "43,nan", *GOOD_ROWS[3:]]),
        ("line 4", "'nan' is not a finite number")),
    Bad("inf", "p.csv", csv_of([*GOOD_ROWS[:-1], "60,-inf"]),
        ("line 21", "'-inf' is not a finite number")),
    Bad("empty-value", "p.csv", csv_of(["41,", *GOOD_ROWS[1:]]), ("line 2", "is empty")),
    Bad("too-many-fields", "p.csv", csv_of(["41,1.0,9", *GOOD_ROWS[1:]]),
        ("line 2 has 3 fields but the header has 2",)),
    Bad("blank-lines-only", "p.csv", b"\n \n\r\n", ("the file is empty", "header")),
    Bad("binary-garbage", "p.csv", bytes(range(256)) * 4, ("not valid UTF-8", "save the file as UTF-8")),
    Bad("utf16-bom", "p.csv", GOOD.decode().encode("utf-16"), ("UTF-16", "save the file as UTF-8")),
    Bad("latin1", "p.csv", "id,wave_height,note\n41,1.0,maré\n".encode("latin-1"),
        ("line 2 is not valid UTF-8", "save the file as UTF-8")),
    Bad("huge-line", "p.csv", csv_of(["41," + "1" * 300_000, *GOOD_ROWS[1:]]),
        ("line 2", "longer than")),
    Bad("semicolons", "p.csv", GOOD.replace(b",", b";"), ("no column 'id'", "';'", "commas")),
    Bad("tabs", "p.tsv", GOOD.replace(b",", b"\t"), ("no column 'id'", "tab", "commas")),
    Bad("unclosed-quote", "p.csv", csv_of([*GOOD_ROWS[:2], '"43,1.0', *GOOD_ROWS[3:]]),
        ("line 4 is not valid CSV",)),
    Bad("zip-of-csv", "predictions.zip", _zip_of("predictions.csv", GOOD),
        ("ZIP archive", "upload the CSV file itself")),
    Bad("png", "predictions.png", _png(), ("PNG image", "CSV")),
    Bad("exe", "predictions.exe", _exe(), ("Windows program", "CSV")),
]  # fmt: skip

# Stands for a well-formed file never uploaded before, so a blob kept by mistake shows as new.
FRESH = b"<fresh predictions>"
_fresh_count = iter(range(1, 1_000_000))


def fresh(data: bytes) -> bytes:
    if data != FRESH:
        return data
    return csv_of([f"{i},{next(_fresh_count) / 7:.6f}" for i in IDS])


GOOD_VARIANTS = {
    "bom-crlf": b"\xef\xbb\xbf" + csv_of(GOOD_ROWS, newline="\r\n"),
    "extra-column-and-spaces": csv_of(
        [f" {i} ,x, 1.5 " for i in IDS], header="id,note,wave_height"
    ),
}


@pytest.fixture(scope="module")
def judged(
    tmp_path_factory: pytest.TempPathFactory, runner_image: str
) -> Iterator[tuple[World, dict[str, int]]]:
    """Every bad and good file uploaded over the API, then judged by a real worker."""
    with open_world(tmp_path_factory.mktemp("bad-input"), runner_image=runner_image) as world:
        ids: dict[str, int] = {}
        for case in BAD:
            response = world.submit(case.filename, case.data, "application/octet-stream")
            assert response.status_code == 201, (case.name, response.text)
            ids[case.name] = response.json()["id"]
        for name, data in GOOD_VARIANTS.items():
            response = world.submit("predictions.csv", data)
            assert response.status_code == 201, (name, response.text)
            ids[name] = response.json()["id"]
        world.judge_queued()
        yield world, ids


@pytest.mark.docker
@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_each_malformed_file_fails_saying_what_to_fix(
    judged: tuple[World, dict[str, int]], case: Bad
) -> None:
    world, ids = judged
    body = world.submission(ids[case.name])
    assert body["status"] == "failed", body
    assert body["failure"] == case.category, body
    message = body["message"]
    assert message.startswith("Your predictions file could not be scored"), message
    for words in case.words:
        assert words in message, (case.name, message)
    assert body["scores"] == {} or not body["scores"].get("public"), body


@pytest.mark.docker
@pytest.mark.parametrize("name", sorted(GOOD_VARIANTS))
def test_tolerable_variants_are_scored(judged: tuple[World, dict[str, int]], name: str) -> None:
    world, ids = judged
    body = world.submission(ids[name])
    assert body["status"] == "scored", body
    assert set(body["scores"]["public"]) == {"rmse", "mae", "q90"}


@pytest.mark.docker
def test_judging_leaves_nothing_outside_the_store(judged: tuple[World, dict[str, int]]) -> None:
    world, _ = judged
    assert world.outside_store() == set()
    assert world.store_tmp() == set()
    left = [p.name for p in world.settings.work_dir.iterdir() if p.name != "challenges"]
    assert left == [], "judging left its work directories behind"


# --- uploads refused before judging --------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("refusals")) as world:
        yield world


@pytest.fixture
def small_cap(site: World) -> Iterator[int]:
    """A 1000-byte upload cap for the test (the app reads its Settings object per request)."""
    before = site.settings.upload_max_bytes
    site.settings.upload_max_bytes = 1000
    yield 1000
    site.settings.upload_max_bytes = before


@dataclass
class Snapshot:
    objects: set[Path]
    rows: int


def _rows(site: World) -> int:
    listed = site.client.get(
        f"/api/v1/challenges/{SLUG}/submissions?limit=100", headers=site.participant.bearer()
    )
    assert listed.status_code == 200, listed.text
    return len(listed.json()["items"])


def _snapshot(site: World) -> Snapshot:
    return Snapshot(site.store_objects(), _rows(site))


def _assert_nothing_kept(site: World, before: Snapshot, system_tmp: Path) -> None:
    assert site.store_objects() == before.objects, "a refused upload left an object in the store"
    assert _rows(site) == before.rows, "a refused upload created a submission"
    assert site.store_tmp() == set(), "a refused upload left a temp file in the store"
    assert site.outside_store() == set(), "a refused upload left a file in the data dir"
    assert list(system_tmp.rglob("*")) == [], "a refused upload left a file in the temp dir"


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "hostile-boundary-7d1c"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_api_upload_over_the_cap_is_413_with_the_limit_and_keeps_nothing(
    site: World, small_cap: int, system_tmp: Path
) -> None:
    before = _snapshot(site)
    declared = site.submit("p.csv", b"1" * 70_000 + GOOD)
    assert declared.status_code == 413
    message = declared.json()["error"]["message"]
    assert "larger than the" in message and "MiB" in message, message
    body, content_type = _multipart([("file", "p.csv", b"1" * 5000)])
    streamed = site.client.post(  # chunked: no Content-Length, so it is cut off while streaming
        f"/api/v1/challenges/{SLUG}/submissions",
        content=iter([body[:100], body[100:]]),
        headers={**site.participant.bearer(), "Content-Type": content_type},
    )
    assert streamed.status_code == 413, streamed.text
    assert "larger than the" in streamed.json()["error"]["message"]
    _assert_nothing_kept(site, before, system_tmp)


def test_web_form_upload_over_the_cap_shows_the_limit_and_keeps_nothing(
    site: World, small_cap: int, system_tmp: Path
) -> None:
    browser = site.participant.client
    before = _snapshot(site)
    token = site.csrf(site.participant, f"/challenges/{SLUG}/submit")
    page = browser.post(
        f"/challenges/{SLUG}/submit?lang=en",
        data={"csrf_token": token, "description": "too big"},
        files={"file": ("p.csv", b"1" * 5000 + GOOD, "text/csv")},
    )
    assert page.status_code == 413
    assert "larger than the" in page.text and "text/html" in page.headers["content-type"]
    as_json = browser.post(
        f"/challenges/{SLUG}/submit",
        data={"csrf_token": token},
        files={"file": ("p.csv", b"1" * 5000, "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 413
    assert "larger than the" in as_json.json()["error"]["message"]
    _assert_nothing_kept(site, before, system_tmp)


@pytest.mark.parametrize(
    ("parts", "status", "words"),
    [
        ([("file", "p.csv", b"")], 400, "The file is empty"),
        ([("description", None, b"no file")], 400, "Choose a file to submit"),
        ([("file", "a.csv", FRESH), ("file", "b.csv", FRESH)], 400, "one file at a time"),
        ([("description", None, b"x" * 9000), ("file", "p.csv", FRESH)], 413, "too long"),
        ([(f"f{i}", None, b"x") for i in range(20)] + [("file", "p.csv", FRESH)], 400,
         "too many fields"),
        ([("file", "p.csv", FRESH), ("link", None, b"javascript:alert(document.cookie)")], 422,
         "must start with https:// or http://"),
        ([("link", None, b"JaVaScRiPt:alert(1)"), ("file", "p.csv", FRESH)], 422,
         "must start with https:// or http://"),
        ([("link", None, b"data:text/html,<script>alert(1)</script>"), ("file", "p.csv", FRESH)],
         422, "must start with https:// or http://"),
        ([("phase", None, b"nope"), ("file", "p.csv", FRESH)], 404, "No phase 'nope'"),
    ],
    ids=["empty", "no-file", "two-files", "long-field", "many-fields", "javascript-link",
         "mixed-case-javascript-link", "data-link", "unknown-phase"],
)  # fmt: skip
def test_refused_multipart_uploads_say_why_and_keep_nothing(
    site: World,
    system_tmp: Path,
    parts: list[tuple[str, str | None, bytes]],
    status: int,
    words: str,
) -> None:
    before = _snapshot(site)
    body, content_type = _multipart(
        [(name, filename, fresh(data)) for name, filename, data in parts]
    )
    response = site.client.post(
        f"/api/v1/challenges/{SLUG}/submissions",
        content=body,
        headers={**site.participant.bearer(), "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]
    _assert_nothing_kept(site, before, system_tmp)


@pytest.mark.parametrize(
    ("content_type", "body", "status", "words"),
    [
        ("application/json", b'{"file": "id,wave_height"}', 415, "multipart/form-data"),
        ("text/csv", GOOD, 415, "multipart/form-data"),
        ("multipart/form-data", GOOD, 415, "multipart/form-data"),  # no boundary
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nnot a part header", 400, "not valid"),
    ],
    ids=["json", "raw-csv", "no-boundary", "broken-multipart"],
)
def test_uploads_that_are_not_proper_multipart_are_refused_and_keep_nothing(
    site: World, system_tmp: Path, content_type: str, body: bytes, status: int, words: str
) -> None:
    before = _snapshot(site)
    response = site.client.post(
        f"/api/v1/challenges/{SLUG}/submissions",
        content=body,
        headers={**site.participant.bearer(), "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]
    _assert_nothing_kept(site, before, system_tmp)


# --- bundles uploaded by organisers ---------------------------------------------------------


def _bundle_zip(root: Path, replace: dict[str, str] | None = None) -> bytes:
    folder = root / "harbour"
    if not folder.exists():
        open_bundle(folder)
    return zip_folder(folder, replace)


def _zip_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("bundle/challenge.yaml")
        info.external_attr = (0o120777 << 16) | 0x20  # a symbolic link to /etc/passwd
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _upload_bundle(site: World, filename: str, data: bytes) -> tuple[int, str]:
    token = site.csrf(site.organiser, "/organise")
    response = site.organiser.client.post(
        "/organise/upload?lang=en",
        data={"csrf_token": token},
        files={"bundle": (filename, data, "application/zip")},
        follow_redirects=False,
    )
    return response.status_code, response.text


@pytest.mark.parametrize(
    ("make", "filename", "status", "words"),
    [
        (lambda root: b"", "bundle.zip", 400, "empty"),
        (lambda root: b"not a zip at all", "bundle.zip", 422, "cannot read the zip file"),
        (lambda root: _png(), "bundle.png", 400, "is not a .zip"),
        (lambda root: _zip_with({"../../evil/challenge.yaml": b"x"}), "bundle.zip", 422,
         "would be written outside the bundle"),
        (lambda root: _zip_with({"/etc/challenge.yaml": b"x"}), "bundle.zip", 422,
         "absolute path"),
        (lambda root: _symlink_zip(), "bundle.zip", 422, "symbolic link"),
        (lambda root: _zip_with({"bundle/README.md": b"hello"}), "bundle.zip", 422,
         "challenge.yaml"),
        (lambda root: _bundle_zip(root, {"challenge.yaml": "format: 1\nslug: [unclosed\n"}),
         "bundle.zip", 422, "challenge.yaml"),
        (lambda root: _bundle_zip(root, {"reference/answers.csv": "id,wave_height\n41,1\n"}),
         "bundle.zip", 422, "answers.csv"),
    ],
    ids=["empty", "not-a-zip", "png", "dotdot", "absolute", "symlink", "no-challenge-yaml",
         "yaml-syntax", "reference-without-split"],
)  # fmt: skip
def test_broken_bundles_uploaded_on_the_web_are_refused_and_keep_nothing(
    site: World,
    system_tmp: Path,
    tmp_path: Path,
    make: object,
    filename: str,
    status: int,
    words: str,
) -> None:
    assert callable(make)
    data: bytes = make(tmp_path)
    before = _snapshot(site)
    got, page = _upload_bundle(site, filename, data)
    assert got == status, page[:2000]
    assert words in page, page[:4000]
    assert not (tmp_path.parent / "evil").exists()
    _assert_nothing_kept(site, before, system_tmp)


def test_a_bundle_over_the_cap_is_413_with_the_limit_and_keeps_nothing(
    site: World, small_cap: int, system_tmp: Path, tmp_path: Path
) -> None:
    before = _snapshot(site)
    got, page = _upload_bundle(site, "bundle.zip", _bundle_zip(tmp_path))
    assert got == 413, page[:2000]
    assert "larger than the" in page
    _assert_nothing_kept(site, before, system_tmp)


# --- numbers no row can have -----------------------------------------------------------------

NAMED = {"slug": SLUG, "phase": "development", "path": "data/train.csv", "token": "x", "name": "x"}


@pytest.mark.parametrize("number", [str(2**64), str(2**31), "-1", "0", "1e3"])
def test_ids_no_row_can_have_are_refused_without_a_server_error(site: World, number: str) -> None:
    """Every route taking an id, as every role: SQLite cannot even compare 2**64 with a row id."""
    routes = [(m, t) for m, t in every_route(site.client) if re.search(r"{\w+_id}", t)]
    assert len(routes) >= 15, routes
    for who in (site.participant, site.organiser, site.judge):
        token = site.csrf(who, "/account")
        for method, template in routes:
            path = fill(template, NAMED, default=number)
            response = who.client.request(
                method, path, headers={"X-CSRF-Token": token}, follow_redirects=False
            )
            assert response.status_code < 500, f"{method} {path}: {response.status_code}"
            if number == str(2**64):  # nothing has that id, so nothing may succeed
                assert response.status_code not in (200, 201, 204, 303), f"{method} {path}"
