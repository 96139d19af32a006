"""Reaching the Docker engine, and saying plainly when it cannot be reached.

Every entry point of the package goes through `connect`, so an unreachable engine
always surfaces as `EngineUnavailable` and never as a fallback to running code
on the host.
"""

from __future__ import annotations

import logging

import docker
import docker.errors
import requests

from sandbox.errors import EngineUnavailable

HINT = "start it with `bash scripts/ensure-docker.sh` (or `make services`)"

log = logging.getLogger(__name__)


def connect(
    client: docker.DockerClient | None = None,
    *,
    base_url: str | None = None,
    timeout: int = 60,
) -> docker.DockerClient:
    """Return a client that has just answered a ping, or raise `EngineUnavailable`.

    Without a client, one is made for `base_url`, or from the environment
    (DOCKER_HOST, else the default socket) when that is None too.
    """
    where = base_url or "DOCKER_HOST or the default socket"
    try:
        if client is None:
            if base_url:
                client = docker.DockerClient(base_url=base_url, timeout=timeout)
            else:
                client = docker.from_env(timeout=timeout)
        where = _address(client)
        client.ping()
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        # The address and the client's error stay out of the message: it reaches pages.
        detail = f"the Docker engine at {where} does not answer: {exc}"
        log.warning("%s", detail)
        raise EngineUnavailable(
            f"the Docker engine does not answer; {HINT}", detail=detail
        ) from exc
    return client


def _address(client: docker.DockerClient) -> str:
    """Where the client points; docker-py hides a unix socket path behind its adapter."""
    socket_path = getattr(getattr(client.api, "_custom_adapter", None), "socket_path", None)
    return f"unix://{socket_path}" if socket_path else str(client.api.base_url)


def engine_healthy(client: docker.DockerClient | None = None) -> tuple[bool, str]:
    """Health-page view of the engine: never raises; the engine's own words go to the log.

    /healthz is public, so the message says what is wrong, not what the engine answered.
    """
    try:
        client = connect(client, timeout=5)
        version = client.version().get("Version", "unknown")
    except EngineUnavailable as exc:
        return False, exc.message
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        log.warning("the Docker engine answered a ping but not a version query: %s", exc)
        return False, "the Docker engine answered a ping but not a version query"
    return True, f"Docker engine {version} reachable"
