"""The answers stay hidden, as a class: every way a bundle could show a hidden file to teams.

Each trick is one broken bundle of test_bundle_validate's table (tests/bundles/broken/<name>,
or built there when it needs a symbolic link): a page that is or links to the answers (by a
normalised, percent-encoded or reference-style path, or through a copy), a symbolic link or a
byte-identical copy in the starter kit, the public data, the inputs or the baseline. Each is
refused by the real loader, from a folder and from a zip, and by the real site's upload form,
always with the error located where the organiser must change something. The valid fixture,
the same bundle without the trick, loads: the refusals come from the rule, not the fixture.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bundle_helpers import VALID, overlay, zip_folder
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_bundle_validate import CASES, Case, _expected_column, _expected_line

from app.accounts.models import Role
from app.bundles import BundleInvalid, load_bundle
from app.challenges.models import Challenge
from tests.app.organisers.conftest import client, redis_15, site, web_settings
from tests.app.web.web_helpers import engine_of, person

__all__ = ["client", "redis_15", "site", "web_settings"]

TRICKS = {
    "page_is_reference",
    "page_symlink_to_reference",
    "page_links_reference",
    "page_image_of_reference",
    "page_links_reference_folder",
    "page_links_copy_of_reference",
    "public_copy_of_reference",
    "public_path_normalised_to_reference",
    "input_copy_of_reference",
    "starter_copy_of_reference",
    "starter_symlink_to_reference",
    "baseline_copy_of_reference",
}
TABLE = [case for case in CASES if case.name in TRICKS]
# A zip cannot carry a symbolic link (the archive check refuses it first), so those tricks
# reach the loader from a folder only.
ZIPPABLE = [case for case in TABLE if "symlink" not in case.name]


def _bundle(case: Case, tmp: Path) -> Path:
    return case.build(tmp) if case.build is not None else overlay(case.name, tmp / "bundle")


def _where(case: Case, bundle: Path) -> str:
    line = _expected_line(case, bundle)
    column = _expected_column(case, bundle, line)
    return ":".join(str(part) for part in (case.file, line, column) if part is not None)


def test_the_table_covers_every_trick() -> None:
    assert {case.name for case in TABLE} == TRICKS
    assert len(ZIPPABLE) == len(TABLE) - 2


@pytest.mark.parametrize("case", TABLE, ids=lambda c: c.name)
def test_the_loader_refuses_the_trick_where_it_is_written(case: Case, tmp_path: Path) -> None:
    bundle = _bundle(case, tmp_path)
    where = _where(case, bundle)
    with pytest.raises(BundleInvalid) as raised:
        load_bundle(bundle)
    assert [(e.where(), case.fragment in e.message) for e in raised.value.report.errors] == [
        (where, True)
    ]
    if case in ZIPPABLE:
        with pytest.raises(BundleInvalid) as zipped:
            load_bundle(zip_folder(bundle, tmp_path / "bundle.zip"))
        assert [e.where() for e in zipped.value.report.errors] == [where]


def test_the_same_bundle_without_a_trick_loads() -> None:
    with load_bundle(VALID) as loaded:
        assert loaded.challenge.slug == "harbour-wave-height"


def test_the_upload_page_refuses_every_trick(site: TestClient, tmp_path: Path) -> None:
    org = person(site, "org@example.org", "Olga Organiser", Role.organiser)
    for case in ZIPPABLE:
        bundle = _bundle(case, tmp_path / case.name)
        archive = zip_folder(bundle, tmp_path / f"{case.name}.zip", "harbour-wave-height/")
        response = org.client.post(
            "/organise/upload",
            data={"csrf_token": org.csrf("/organise")},
            files={"bundle": ("bundle.zip", archive.read_bytes(), "application/zip")},
            follow_redirects=False,
        )
        assert response.status_code == 422, case.name
        rows = re.findall(r'<tr class="bundle-error"><td><code>([^<]+)</code>', response.text)
        assert rows == [_where(case, bundle)], case.name
    with Session(engine_of(site)) as session:
        assert session.exec(select(Challenge)).first() is None
