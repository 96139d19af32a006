"""Runs the test OpenID Connect provider (tests/oidc/provider.js) as a real Node.js process.

Also holds `browser_login`, which plays the part of a person's browser at the provider: it
follows the provider's redirects and fills in its login form over real HTTP.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urljoin

import httpx

HERE = Path(__file__).resolve().parent
STARTUP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str


class ProviderProblem(RuntimeError):
    """The provider could not be installed or started; the message says what to do."""


def ensure_installed() -> None:
    """`npm ci` once, when node_modules is missing (scripts/ensure-oidc-provider.sh does the same)."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise ProviderProblem(
                f"`{tool}` is not installed; the login tests need Node.js 20+ and npm "
                "(Debian: apt-get install nodejs npm)."
            )
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ProviderProblem(f"`npm ci` in {HERE} failed:\n{done.stdout}\n{done.stderr}")


@contextmanager
def run_provider(
    *,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    users: dict[str, dict[str, object]] | None = None,
) -> Iterator[RunningProvider]:
    ensure_installed()
    env = {
        **os.environ,
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_REDIRECT_URIS": " ".join(redirect_uris),
        "OIDC_USERS": json.dumps(users or {}),
    }
    # stderr goes to a file: an unread pipe would block the provider once full.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            ["node", str(HERE / "provider.js")],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            issuer = _wait_for_ready(process, log)
            _wait_for_discovery(issuer)
            yield RunningProvider(issuer=issuer, client_id=client_id, client_secret=client_secret)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_ready(process: subprocess.Popen[str], log: IO[str]) -> str:
    line: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(STARTUP_TIMEOUT_S)
    if not line or not line[0].startswith("READY "):
        process.kill()
        process.wait()
        log.seek(0)
        raise ProviderProblem(f"the test OpenID provider did not start:\n{log.read()}")
    return line[0].split(" ", 1)[1].strip()


def _wait_for_discovery(issuer: str) -> None:
    response = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    if response.json().get("issuer") != issuer:
        raise ProviderProblem(f"the provider at {issuer} names another issuer")


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.IGNORECASE)


def browser_login(authorize_url: str, *, login: str, return_to: str) -> str:
    """Logs in at the provider as `login`; returns the URL it sends the browser back to.

    Follows redirects within the provider and posts its development login form,
    stopping at the first redirect whose target starts with `return_to` (the app).
    """
    url = authorize_url
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(url)
        for _ in range(10):
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                if url.startswith(return_to):
                    return url
                response = browser.get(url)
                continue
            form = _FORM.search(response.text)
            if response.status_code != 200 or form is None:
                raise AssertionError(
                    f"unexpected page at the provider ({response.status_code}):\n{response.text}"
                )
            url = urljoin(url, html.unescape(form.group(1)))
            response = browser.post(
                url, data={"prompt": "login", "login": login, "password": "any password"}
            )
    raise AssertionError("the provider never sent the browser back to the app")
