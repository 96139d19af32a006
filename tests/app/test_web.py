"""The site through HTTP: home, challenge pages, errors, health and the OpenAPI docs."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.accounts.models import Role
from app.core.db import session_scope
from app.core.settings import Settings
from app.main import create_app
from app.models import DataFile
from tests.app.web.web_helpers import person
from tests.factories import make_challenge


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


def _publish_sample(client: TestClient) -> int:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        challenge, _ = make_challenge(session, "sea-temp")
        challenge.pages = {
            "overview": {
                "it": "# Benvenuti\n\nPrevedi la temperatura.",
                "en": "# Welcome\n\nForecast it.",
            },
            "data": {"it": "I dati.", "en": "The data."},
            "evaluation": {"it": "RMSE", "en": "RMSE"},
            "rules": {"it": "<script>alert(1)</script> Regole", "en": "Rules"},
        }
        session.add(challenge)
        assert challenge.id is not None
        session.add(
            DataFile(
                challenge_id=challenge.id,
                role="public",
                path="data/train.csv",
                sha256="a" * 64,
                size=2048,
            )
        )
        session.add(
            DataFile(
                challenge_id=challenge.id,
                role="reference",
                path="reference/answers.csv",
                sha256="b" * 64,
                size=1024,
            )
        )
        hidden, _ = make_challenge(session, "draft-one")
        hidden.published = False
        session.add(hidden)
        return challenge.id


def test_home_lists_only_published_challenges(client: TestClient) -> None:
    _publish_sample(client)
    page = client.get("/", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Temperature" in page.text
    assert "/challenges/sea-temp" in page.text
    assert "draft-one" not in page.text


def test_language_follows_accept_language_and_switch(client: TestClient) -> None:
    _publish_sample(client)
    assert "Temperatura" in client.get("/", headers={"accept-language": "it-IT,it;q=0.9"}).text
    assert "Temperature" in client.get("/", headers={"accept-language": "en-GB"}).text
    assert "Temperatura" in client.get("/?lang=it", headers={"accept-language": "en"}).text
    assert '<html lang="en">' in client.get("/?lang=en").text


def test_challenge_page_renders_sanitised_markdown(client: TestClient) -> None:
    _publish_sample(client)
    page = client.get("/challenges/sea-temp?lang=en")
    assert page.status_code == 200
    assert "<h1>Welcome</h1>" in page.text
    assert "Development" in page.text
    rules = client.get("/challenges/sea-temp?page=rules&lang=it")
    assert "<script>alert(1)</script>" not in rules.text
    assert "&lt;script&gt;" in rules.text


def test_data_page_shows_public_files_never_reference(client: TestClient) -> None:
    _publish_sample(client)
    page = client.get("/challenges/sea-temp?page=data&lang=en")
    assert "data/train.csv" in page.text
    assert "a" * 64 in page.text
    assert "2.0 KiB" in page.text
    assert "answers.csv" not in page.text and "b" * 64 not in page.text


def test_unknown_or_unpublished_challenge_is_404(client: TestClient) -> None:
    _publish_sample(client)
    assert client.get("/challenges/draft-one").status_code == 404
    missing = client.get("/challenges/nope?lang=en")
    assert missing.status_code == 404
    assert "No published challenge is called" in missing.text
    assert client.get("/challenges/sea-temp?page=secrets").status_code == 404


def test_api_errors_share_one_json_body(client: TestClient) -> None:
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_openapi_docs_are_served(client: TestClient) -> None:
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Marea"
    assert client.get("/api/docs").status_code == 200


def test_api_docs_load_swagger_ui_from_the_site_itself(client: TestClient) -> None:
    """No CDN: a third-party request on every visit, and a blank page on a closed network."""
    page = client.get("/api/docs").text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert len(assets) >= 3, f"Swagger UI's script, stylesheet and icon are not in {page}"
    for asset in assets:
        assert asset.startswith("/api/docs/assets/"), f"/api/docs loads {asset}"
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 1000, asset


METRICS_TOKEN = "scrape-secret-for-tests"


@pytest.fixture
def health_site(settings: Settings) -> Iterator[TestClient]:
    settings.metrics_token = METRICS_TOKEN
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _health_callers(client: TestClient) -> dict[str, tuple[TestClient, dict[str, str]]]:
    """Who asks /healthz: a browser (its cookies) and the headers it sends."""
    anonymous = TestClient(client.app)
    ada = person(client, "ada@example.org", "Ada")
    olga = person(client, "olga@example.org", "Olga", Role.organiser)
    return {
        "anonymous": (anonymous, {}),
        "participant, signed in": (ada.client, {}),
        "participant, API token": (anonymous, ada.bearer()),
        "organiser, signed in": (olga.client, {}),
        "organiser, API token": (anonymous, olga.bearer()),
        "the /metrics token": (anonymous, {"Authorization": f"Bearer {METRICS_TOKEN}"}),
        "a wrong bearer token": (anonymous, {"Authorization": "Bearer marea_nope"}),
        "another scheme": (anonymous, {"Authorization": "Basic b2xnYTp4"}),
    }


# Who gets which component failed, and how; everyone gets up or down.
SEES_DETAILS = {"organiser, signed in", "organiser, API token", "the /metrics token"}


def test_healthz_tells_everyone_up_or_down_and_only_operators_why(
    health_site: TestClient,
) -> None:
    callers = _health_callers(health_site)
    assert set(callers) > SEES_DETAILS
    for who, (browser, headers) in callers.items():
        response = browser.get("/healthz", headers=headers)
        assert response.status_code in (200, 503), who  # 503: Docker away, say
        body = response.json()
        assert body["status"] == ("ok" if response.status_code == 200 else "degraded"), who
        assert response.headers["cache-control"] == "private, no-store", who
        if who in SEES_DETAILS:
            assert set(body["checks"]) == {"database", "redis", "docker"}, who
            assert body["checks"]["database"]["ok"] is True, who
            assert body["checks"]["redis"]["ok"] is True, who
        else:
            assert set(body) == {"status"}, f"{who} sees {body}"


def test_healthz_says_when_redis_is_down(settings: Settings) -> None:
    settings.redis_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.metrics_token = METRICS_TOKEN
    with TestClient(create_app(settings)) as test_client:
        anonymous = test_client.get("/healthz")
        operator = test_client.get("/healthz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "degraded"}
    assert operator.status_code == 503
    body = operator.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert "127.0.0.1:1" in body["checks"]["redis"]["message"]


def test_public_files_download_and_hidden_files_never_do(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    public = store.put_bytes(b"id,sst\n1,20.5\n")
    hidden = store.put_bytes(b"id,sst,split\n1,21.0,public\n")
    starter = store.put_bytes(b"print('hello')\n")
    with session_scope(engine) as session:
        challenge, _ = make_challenge(session, "sea-temp")
        assert challenge.id is not None
        for role, path, obj in (
            ("public", "data/train.csv", public),
            ("reference", "reference/answers.csv", hidden),
            ("input", "inputs/test.csv", hidden),
            ("starter", "starter/starter.py", starter),
        ):
            session.add(DataFile(challenge_id=challenge.id, role=role, path=path,
                                 sha256=obj.sha256, size=obj.size))  # fmt: skip
    got = client.get("/challenges/sea-temp/files/data/train.csv")
    assert got.status_code == 200 and got.content == b"id,sst\n1,20.5\n"
    assert got.headers["x-content-sha256"] == public.sha256
    for path in ("reference/answers.csv", "inputs/test.csv", "../reference/answers.csv",
                 "data/../reference/answers.csv", "starter/starter.py"):  # fmt: skip
        assert client.get(f"/challenges/sea-temp/files/{path}").status_code == 404, path
    kit = client.get("/challenges/sea-temp/starter-kit.zip")
    assert kit.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(kit.content)).namelist()
    assert sorted(names) == ["sea-temp/data/train.csv", "sea-temp/starter/starter.py"]
