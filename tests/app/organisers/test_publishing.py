"""Upload a bundle on the web, see its errors located, preview, publish, move phase dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.challenges.models import Challenge, Phase
from tests.app.organisers.org_helpers import SEA, zip_folder
from tests.app.web.web_helpers import Person, engine_of, person

SLUG = "sea-surface-temperature"


def _post(who: Person, path: str, **data: str) -> tuple[int, str, str]:
    token = who.csrf("/organise")
    response = who.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def _upload(who: Person, content: bytes, name: str = "bundle.zip") -> tuple[int, str, str]:
    token = who.csrf("/organise")
    response = who.client.post(
        "/organise/upload",
        data={"csrf_token": token},
        files={"bundle": (name, content, "application/zip")},
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("location", ""), response.text


def test_upload_preview_publish_and_unpublish(site: TestClient) -> None:
    org = person(site, "org@example.org", "Olga Organiser", Role.organiser)
    status, location, _ = _upload(org, zip_folder(SEA))
    assert (status, location) == (303, f"/organise/{SLUG}")
    assert site.get(f"/challenges/{SLUG}").status_code == 404, "a new challenge is a draft"
    assert SLUG in org.client.get("/organise").text

    preview = org.client.get(f"/organise/{SLUG}/preview?lang=en")
    assert preview.status_code == 200
    assert "Sea surface temperature" in preview.text and "NOAA" in preview.text

    assert _post(org, f"/organise/{SLUG}/publish")[0] == 303
    assert site.get(f"/challenges/{SLUG}").status_code == 200
    assert _post(org, f"/organise/{SLUG}/unpublish")[0] == 303
    assert site.get(f"/challenges/{SLUG}").status_code == 404

    audit = org.client.get(f"/organise/{SLUG}/audit?lang=en")
    actions = re.findall(r'data-action="([a-z.]+)"', audit.text)
    assert actions[:3] == ["challenge.unpublish", "challenge.publish", "bundle.upload"]
    assert "Olga Organiser published the challenge." in audit.text
    assert "Olga Organiser uploaded the bundle bundle.zip (version" in audit.text
    italian = org.client.get(f"/organise/{SLUG}/audit?lang=it").text
    assert "Olga Organiser ha pubblicato la sfida." in italian


def test_invalid_bundle_shows_file_line_and_fix(site: TestClient) -> None:
    org = person(site, "org@example.org", "Org", Role.organiser)
    original = (SEA / "challenge.yaml").read_text(encoding="utf-8")
    broken = original.replace("theme: sea", "theme: moon", 1)
    assert broken != original
    status, _, page = _upload(org, zip_folder(SEA, {"challenge.yaml": broken}))
    assert status == 422
    rows = re.findall(r'<tr class="bundle-error"><td><code>([^<]+)</code>', page)
    line = original.splitlines().index("theme: sea") + 1
    assert f"challenge.yaml:{line}" in " ".join(rows), rows
    assert "moon" in page or "theme" in page
    with Session(engine_of(site)) as session:
        assert session.exec(select(Challenge)).first() is None

    status, _, page = _upload(org, b"not a zip at all", name="bundle.txt")
    assert status == 400 and ".zip" in page


def test_upload_over_the_cap_is_refused(site: TestClient) -> None:
    site.app.state.settings.upload_max_bytes = 1024  # type: ignore[attr-defined]
    org = person(site, "org@example.org", "Org", Role.organiser)
    status, _, page = _upload(org, zip_folder(SEA))
    assert status == 413 and "supera i 1.0 KiB che questo sito accetta" in page  # Italian first


def test_phase_dates_must_be_ordered_and_not_overlap(site: TestClient) -> None:
    org = person(site, "org@example.org", "Org", Role.organiser)
    assert _upload(org, zip_folder(SEA))[0] == 303
    with Session(engine_of(site)) as session:
        phases = list(session.exec(select(Phase).order_by(Phase.position)))  # type: ignore[arg-type]
    assert len(phases) >= 1
    first = phases[0]
    path = f"/organise/{SLUG}/phases/{first.name}"

    status, _, page = _post(org, path, start="2027-02-01T00:00", end="2027-01-01T00:00")
    assert status == 422 and "La fase deve iniziare prima di finire" in page
    status, _, page = _post(
        org, f"{path}?lang=en", start="2027-02-01T00:00", end="2027-01-01T00:00"
    )
    assert status == 422 and "before it ends" in page
    if len(phases) > 1:
        other = phases[1]
        status, _, page = _post(
            org,
            path,
            start=first.start.strftime("%Y-%m-%dT%H:%MZ"),
            end=other.end.strftime("%Y-%m-%dT%H:%MZ"),
        )
        assert status == 409 and other.name in page and "Europe/Rome" in page
    # Wall times in the bundle's Europe/Rome: +01:00 in March, +02:00 after 25 March 2001.
    status, _, _ = _post(org, path, start="2001-03-01T08:30", end="2001-04-01T18:00")
    assert status == 303
    with Session(engine_of(site)) as session:
        moved = session.get(Phase, first.id)
        assert moved is not None
        assert moved.start == datetime(2001, 3, 1, 7, 30, tzinfo=UTC)
        assert moved.end == datetime(2001, 4, 1, 16, 0, tzinfo=UTC)
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "phase.dates")).one()
        assert event.target == first.name and event.detail["new"]["start"].startswith("2001-03-01")
