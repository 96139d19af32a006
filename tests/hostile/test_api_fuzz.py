"""The JSON API fuzzed against its own OpenAPI schema: no input may cause a server error.

Schemathesis generates requests for every /api/v1 operation from the schema FastAPI
publishes: its boundary ("coverage") cases, then random valid and invalid path parameters,
query strings, headers and bodies. Each operation is fuzzed anonymously and with the Bearer
token of a team member; half of the generated path parameters are swapped for ones that
exist (the challenge, the team's submission), so the authenticated paths are reached and not
only their 404s. Every response must be a non-5xx that matches the schema: a documented
status code, the documented content type, a body of the documented shape.

The requests go through the site's own TestClient (one event loop, the lifespan the site
already runs). The live streams (`.../events`) are left out: a stream that stays open has no
end to check. The schema is read at collection from a throwaway app, and a test checks that
it is the very document the site serves.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.settings import Settings
from app.main import create_app
from tests.app.accounts.helpers import APP_URL
from tests.hostile.hostile_world import SLUG, World, open_world

EXAMPLES = int(os.environ.get("MAREA_FUZZ_EXAMPLES", "100"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PREDICTIONS = ("id,wave_height\n" + "".join(f"{i},1.0\n" for i in range(41, 61))).encode()


def _published_schema() -> dict[str, Any]:
    """The OpenAPI document of the app, from a throwaway instance (no database is touched).

    Built at import, so during collection of any run: it names no real Redis (nothing is
    connected to), so a `-m unit` run needs no redis-server.
    """
    with tempfile.TemporaryDirectory(prefix="marea-openapi-") as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "var", base_url=APP_URL, redis_url="redis://127.0.0.1:1/0"
        )
        document: dict[str, Any] = create_app(settings, run_migrations=False).openapi()
        return document


RAW_SCHEMA = _published_schema()
KNOWN: dict[str, Any] = {"slug": SLUG}  # completed by the fixture with ids that exist


@dataclass
class Fuzzed:
    world: World
    # per identity, the statuses each operation answered with
    seen: dict[str, dict[str, Counter[int]]] = field(
        default_factory=lambda: {"anonymous": defaultdict(Counter), "member": defaultdict(Counter)}
    )

    def record(self, who: str, case: schemathesis.Case, response: httpx.Response) -> None:
        self.seen[who][f"{case.method.upper()} {case.path}"][response.status_code] += 1


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A site with a challenge and a team with a queued submission, whose API is fuzzed."""
    with open_world(tmp_path_factory.mktemp("fuzz")) as world:
        made = world.submit("predictions.csv", PREDICTIONS, description="to be fuzzed")
        assert made.status_code == 201, made.text
        KNOWN["submission_id"] = made.json()["id"]
        yield Fuzzed(world)


schema = (
    schemathesis.openapi.from_dict(RAW_SCHEMA)
    .include(path_regex=r"^/api/v1/")
    .exclude(path_regex=r"/events$")
)


@schema.hook
def flatmap_path_parameters(  # the function's name says which hook it is
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the time, the generated path with the parameters that exist on the site."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {k: KNOWN[k] for k in path_parameters if k in KNOWN}
    return st.sampled_from([path_parameters, {**path_parameters, **real}])


def send(client: TestClient, case: schemathesis.Case, headers: dict[str, str]) -> httpx.Response:
    """The generated request, encoded as schemathesis encodes it (with `requests`) and sent
    through the site's TestClient."""
    kwargs = case.as_transport_kwargs(base_url=APP_URL, headers=headers)
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
        json=kwargs.get("json"),
    ).prepare()
    client.cookies.clear()
    request = client.build_request(
        prepared.method or "GET",
        prepared.url or APP_URL,
        headers=dict(prepared.headers),
        content=prepared.body.encode() if isinstance(prepared.body, str) else prepared.body,
    )
    return client.send(request, follow_redirects=False)


SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@schema.parametrize()
@SETTINGS
def test_anonymous_callers_get_no_server_error(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    response = send(fuzzed.world.client, case, {})
    fuzzed.record("anonymous", case, response)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@SETTINGS
def test_team_members_get_no_server_error(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    response = send(fuzzed.world.client, case, fuzzed.world.participant.bearer())
    fuzzed.record("member", case, response)
    case.validate_response(response, checks=CHECKS)


def summary(fuzzed: Fuzzed) -> str:
    """Requests and statuses per operation, for the record (`pytest -s` shows it)."""
    lines = []
    for who, operations in fuzzed.seen.items():
        total = sum(sum(c.values()) for c in operations.values())
        lines.append(f"{who}: {total} requests over {len(operations)} operation/method pairs")
        for operation, statuses in sorted(operations.items()):
            lines.append(f"  {operation}: {dict(sorted(statuses.items()))}")
    return "\n".join(lines)


def test_the_fuzzed_schema_is_the_one_the_site_serves(fuzzed: Fuzzed) -> None:
    served = fuzzed.world.client.get("/api/openapi.json")
    assert served.status_code == 200 and served.json() == RAW_SCHEMA
    operations = {
        f"{method.upper()} {path}"
        for path, methods in RAW_SCHEMA["paths"].items()
        if path.startswith("/api/v1/") and not path.endswith("/events")
        for method in methods
    }
    assert len(operations) >= 14, operations
    # Every operation was fuzzed both ways, and the member got past authentication: the
    # operations that read the team's own things answered 2xx at least once.
    # (schemathesis also tries methods the schema does not have: those are extra keys)
    assert set(fuzzed.seen["anonymous"]) >= operations
    assert set(fuzzed.seen["member"]) >= operations
    member = fuzzed.seen["member"]
    for operation in (
        "GET /api/v1/me",
        "GET /api/v1/challenges/{slug}/team",
        "GET /api/v1/challenges/{slug}/submissions",
        "GET /api/v1/submissions/{submission_id}",
        "POST /api/v1/challenges/{slug}/submissions",
    ):
        assert any(200 <= status < 300 for status in member[operation]), (operation, member)
    print(summary(fuzzed))
    assert fuzzed.world.client.get(f"/api/v1/challenges/{SLUG}").status_code == 200
